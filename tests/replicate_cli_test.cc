// `meowmx replicate` as a user runs it, against a real PostgreSQL: kill -9
// under a writer with the in-process capture source and a restart (every
// change handled, nothing parked by the crash), and --target postgres
// copying a random workload, key change included, into a second database
// until both tables are equal row by row.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "meowmx/change_capture.h"
#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using testing::CliProcess;
using testing::query_value;
using testing::sql;

std::string unique_slot() {
  static std::atomic<int> counter{0};
  return "replicate_cli_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
}

bool slot_exists(const std::string& dsn, const std::string& slot) {
  return query_value<int>(dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'") == 1;
}

// The pks the --exec command appended to `path`, one JSON line each.
std::set<std::string> handled_pks(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::set<std::string> pks;
  for (std::string line; std::getline(file, line);) {
    const auto parsed = json::parse(line, nullptr, false);
    if (parsed.is_object()) pks.insert(parsed.at("pk").get<std::string>());
  }
  return pks;
}

// The table as text, row by row in key order: what "equal" means here.
std::string table_text(const std::string& dsn, const std::string& table) {
  return query_value(dsn, "SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n' ORDER BY id, k), '') FROM " +
                              table + " t");
}

}  // namespace

TEST_CASE("kill -9 of replicate under a writer, then a restart: every change handled, none parked") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)");
  const auto slot = unique_slot();
  const auto out = temp_path("replicate_kill");
  std::filesystem::remove(out);
  const std::vector<std::string> args = {"replicate", "--dsn", dsn, "--tables", "items", "--slot", slot,
                                         "--report-interval", "0.2", "--workers", "4", "--batch-size", "20",
                                         "--exec", "cat >> " + out.string()};
  auto first = std::make_unique<CliProcess>(args);
  testing::wait_until("the slot exists", 30s, [&] { return slot_exists(dsn, slot); });

  constexpr int kRows = 4000;
  std::thread writer([&] {
    pqxx::connection connection(dsn);
    for (int i = 1; i <= kRows; i += 10) {
      pqxx::work tx(connection);
      tx.exec_params0("INSERT INTO items SELECT g, 0 FROM generate_series($1::int, $1::int + 9) g", i);
      tx.exec_params0("UPDATE items SET n = n + 1 WHERE id = $1", i);
      tx.commit();
    }
  });
  testing::wait_until("a part is handled", 60s, [&] { return handled_pks(out).size() >= 500; });
  first->send_signal(SIGKILL);
  CHECK(first->wait().exit_code == 128 + SIGKILL);
  first.reset();
  const std::size_t before_restart = handled_pks(out).size();
  CHECK(before_restart < kRows);

  CliProcess second(args);
  writer.join();
  testing::wait_until("every row is handled", 120s, [&] { return handled_pks(out).size() == kRows; });
  second.send_signal(SIGTERM);
  const auto result = second.wait();
  CHECK(result.exit_code == 0);
  std::uint64_t parked = 0, done = 0;
  for (const auto& line : result.json_lines()) {
    if (line.contains("parked")) {
      parked += line["parked"].get<std::uint64_t>();
      done += line["done"].get<std::uint64_t>();
    }
  }
  CHECK(parked == 0);
  CHECK(done > 0);
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.replicator_parked") == 0);
  const auto status = testing::run_cli({"replicate-status", "--dsn", dsn, "--json"});
  CHECK(status.exit_code == 0);
  CHECK(status.out.empty());
  std::filesystem::remove(out);
  pub_drop(dsn, slot);  // waits for the stopped replicator's server process to let go of the slot
}

TEST_CASE("--target postgres: after inserts, updates, deletes and a key change the target equals the source") {
  const auto source = testing::fresh_database();
  const auto target = testing::fresh_database({.setup = false, .aggregate_id_type = std::nullopt});
  const std::string table =
      "CREATE TABLE items (id int, k text, qty numeric, note text, tags text[], PRIMARY KEY (id, k))";
  sql(source, table);
  sql(target, table);
  const auto slot = unique_slot();
  CliProcess replicate({"replicate", "--dsn", source, "--tables", "items", "--slot", slot, "--workers", "4",
                        "--target", "postgres", "--target-dsn", target});
  testing::wait_until("the slot exists", 30s, [&] { return slot_exists(source, slot); });

  std::mt19937 random(20261201);
  pqxx::connection connection(source);
  for (int round = 0; round < 300; ++round) {
    pqxx::work tx(connection);
    for (int op = 0; op < 5; ++op) {
      const int id = static_cast<int>(random() % 200);
      const std::string k = random() % 2 ? "a" : "b \"quoted\" key";
      switch (random() % 4) {
        case 0:
        case 1:
          tx.exec_params0("INSERT INTO items VALUES ($1, $2, $3::numeric, $4, ARRAY['x', $4]) "
                          "ON CONFLICT (id, k) DO UPDATE SET qty = excluded.qty, note = excluded.note",
                          id, k, "12345678901234567890.12345678901234567890", "round " + std::to_string(round));
          break;
        case 2:
          tx.exec_params0("UPDATE items SET qty = qty + 1, note = NULL WHERE id = $1", id);
          break;
        default:
          tx.exec_params0("DELETE FROM items WHERE id = $1 AND k = $2", id, k);
      }
    }
    tx.commit();
  }
  // A key change: the old row goes, the new one comes.
  sql(source, "UPDATE items SET id = id + 1000 WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 3)");
  const std::string expected = table_text(source, "items");
  REQUIRE(expected.find("\"id\":100") != std::string::npos);
  testing::eventually([&] { return replicate.exited() || table_text(target, "items") == expected; }, 120s);
  INFO(replicate.err());
  REQUIRE(table_text(target, "items") == expected);
  replicate.send_signal(SIGINT);
  CHECK(replicate.wait().exit_code == 0);
  pub_drop(source, slot);  // waits for the stopped replicator's server process to let go of the slot
}

TEST_CASE("replicate refuses what cannot work with one line and exit code 2") {
  const auto dsn = testing::fresh_database();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"replicate", "--dsn", dsn, "--exec", "true"},
           {"replicate", "--dsn", dsn, "--tables", "t", "--zmq-connect", "tcp://127.0.0.1:1", "--exec", "true"},
           {"replicate", "--dsn", dsn, "--tables", "t"},
           {"replicate", "--dsn", dsn, "--tables", "t", "--target", "postgres"},
           {"replicate", "--dsn", dsn, "--zmq-connect", "tcp://127.0.0.1:1", "--slot", "s", "--exec", "true"},
           {"replicate", "--dsn", dsn, "--zmq-connect", "tcp://127.0.0.1:1", "--exec", "true"},
           {"replicate", "--dsn", dsn, "--tables", "t", "--exec", "true", "--workers", "0"}}) {
    const auto result = testing::run_cli(args);
    INFO(result.err);
    CHECK(result.exit_code == 2);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  const auto misplaced = testing::run_cli(
      {"replicate", "--dsn", dsn, "--zmq-connect", "tcp://127.0.0.1:1", "--slot", "s", "--exec", "true"});
  CHECK_THAT(misplaced.err, Catch::Contains("--slot belongs to --tables with --source postgres"));
}

TEST_CASE("--exec: the pks a command names as failed are retried, then parked and shown by replicate-status") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE jobs (id int PRIMARY KEY)");
  const auto slot = unique_slot();
  REQUIRE(testing::run_cli({"pub", "--dsn", dsn, "--tables", "jobs", "--slot", slot, "--once", "--quiet"}).exit_code == 0);
  sql(dsn, "INSERT INTO jobs SELECT generate_series(1, 5)");
  const auto result = testing::run_cli({"replicate", "--dsn", dsn, "--tables", "jobs", "--slot", slot, "--once",
                                        "--max-attempts", "3", "--initial-backoff", "0.01", "--exec",
                                        "cat > /dev/null; echo 'a diagnostic line'; echo '[\"3\"]'"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::uint64_t done = 0, retried = 0, parked = 0;
  for (const auto& line : result.json_lines()) {
    if (!line.contains("parked")) continue;
    done += line["done"].get<std::uint64_t>();
    retried += line["retried"].get<std::uint64_t>();
    parked += line["parked"].get<std::uint64_t>();
  }
  CHECK(done == 4);
  CHECK(retried == 2);
  CHECK(parked == 1);
  CHECK(query_value(dsn, "SELECT pk || ' ' || event || ' ' || attempts FROM meowmx.replicator_parked") ==
        "3 jobs_write 3");
  const auto status = testing::run_cli({"replicate-status", "--dsn", dsn, "--json"});
  REQUIRE(status.json_lines().size() == 1);
  CHECK(status.json_lines()[0]["parked"] == 1);
  CHECK(status.json_lines()[0]["input"] == "postgres slot " + slot);
  REQUIRE(testing::run_cli({"pub-drop", "--dsn", dsn, "--slot", slot}).exit_code == 0);
}

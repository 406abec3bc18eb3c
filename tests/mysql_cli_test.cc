// `meowmx pub --source mysql` as a user runs it, against a real MariaDB of
// this binary's own: meepo's lines through the print sink, the position
// kept in PostgreSQL, and kill -9 of the pub under a writer, 20 times, each
// repeating at most the transaction in hand.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>

#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/servers/mariadb_server.h"
#include "support/servers/temp_dir.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

testing::MariaDbServer& mariadb() {
  static testing::MariaDbServer server;
  return server;
}

std::string fresh_database() {
  static std::atomic<int> counter{0};
  const std::string name = "cli_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  mariadb().execute("CREATE DATABASE " + name + ";\nCREATE TABLE " + name +
                    ".test (id INT AUTO_INCREMENT PRIMARY KEY, data VARCHAR(32));");
  return name;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> pub_args(const std::string& database, const std::vector<std::string>& more) {
  std::vector<std::string> args = {"pub", "--source", "mysql", "--mysql-dsn", mariadb().url(), "--tables",
                                   database + ".test", "--quiet"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("meepo's example through the print sink, the position kept in PostgreSQL") {
  const std::string database = fresh_database();
  const std::string dsn = testing::fresh_database();
  const auto args = pub_args(database, {"--dsn", dsn, "--slot", "meepo", "--from", "now", "--once"});
  auto first = testing::run_cli(args);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.empty());
  mariadb().execute("USE " + database +
                    ";\n"
                    "INSERT INTO test (data) VALUES ('a');\n"
                    "INSERT INTO test (data) VALUES ('b'), ('c'), ('d');\n"
                    "UPDATE test SET data = 'aa' WHERE id = 1;\n"
                    "UPDATE test SET data = 'bb' WHERE id = 2;\n"
                    "UPDATE test SET data = 'cc' WHERE id != 1;\n"
                    "DELETE FROM test WHERE id != 1;\n"
                    "DELETE FROM test WHERE id = 1;\n");
  const auto second = testing::run_cli(args);
  REQUIRE(second.exit_code == 0);
  CHECK(lines_of(second.out) ==
        std::vector<std::string>{"test_write 1", "test_write 2", "test_write 3", "test_write 4", "test_update 1",
                                 "test_update 2", "test_update 2", "test_update 3", "test_update 4",
                                 "test_delete 2", "test_delete 3", "test_delete 4", "test_delete 1"});
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  const auto kept = tx.exec1("SELECT position FROM meowmx.capture_source_positions WHERE stream = 'meepo'")[0];
  CHECK(kept.as<std::string>().find("\"file\":\"mariadb-bin.") != std::string::npos);
  // Nothing again on the next start.
  CHECK(testing::run_cli(args).out.empty());
}

TEST_CASE("pub-status --source mysql: the kept position, the server's, and the bytes between") {
  const std::string database = fresh_database();
  testing::TempDir dir("meowmx-mysql-status");
  const std::string state = (dir.path() / "stream.pos").string();
  const std::vector<std::string> status = {"pub-status", "--source", "mysql", "--mysql-dsn", mariadb().url(),
                                           "--state-file", state, "--slot", "shop", "--json"};
  auto none = testing::run_cli(status);
  REQUIRE(none.exit_code == 0);
  CHECK(none.json_lines().at(0)["kept_position"].is_null());
  REQUIRE(testing::run_cli(pub_args(database, {"--state-file", state, "--slot", "shop", "--from", "now", "--once"}))
              .exit_code == 0);
  mariadb().execute("INSERT INTO " + database + ".test (data) VALUES ('a');");
  auto behind = testing::run_cli(status).json_lines().at(0);
  CHECK(behind["slot"] == "shop");
  CHECK(behind["purged"] == false);
  CHECK(behind["pending_bytes"].get<std::int64_t>() > 0);
  CHECK(behind["current_position"]["pos"].get<std::uint64_t>() > behind["kept_position"]["pos"].get<std::uint64_t>());
  REQUIRE(testing::run_cli(pub_args(database, {"--state-file", state, "--slot", "shop", "--once"})).exit_code == 0);
  CHECK(testing::run_cli(status).json_lines().at(0)["pending_bytes"] == 0);
  std::vector<std::string> table(status.begin(), status.end() - 1);
  auto shown = testing::run_cli(table);
  CHECK_THAT(shown.out, Catch::Contains("kept position") && Catch::Contains("mariadb-bin.") &&
                            Catch::Contains("0 bytes of binlog after the kept position"));
  auto misplaced = testing::run_cli({"pub-status", "--state-file", state});
  CHECK(misplaced.exit_code == 2);
  CHECK_THAT(misplaced.err, Catch::Contains("--state-file belongs to --source mysql"));
}

TEST_CASE("bad input gets one clear line and exit code 2") {
  auto result = testing::run_cli({"pub", "--source", "mysql", "--tables", "db.t", "--state-file", "/tmp/x"});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("--mysql-dsn") != std::string::npos);
  result = testing::run_cli(pub_args("db", {"--state-file", "/tmp/x", "--from", "yesterday"}));
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("bad --from") != std::string::npos);
}

TEST_CASE("kill -9 of the pub under a writer, 20 times: every committed change, in order, one transaction again at most") {
  const std::string database = fresh_database();
  testing::TempDir dir("meowmx-mysql-cli");
  const std::string state = (dir.path() / "state.json").string();
  const auto args = pub_args(database, {"--state-file", state, "--from", "now", "--heartbeat", "0.2"});
  REQUIRE(testing::run_cli(pub_args(database, {"--state-file", state, "--from", "now", "--once"})).exit_code == 0);

  // Transactions of two rows; every fourth one rolled back (ids from 1000000).
  std::atomic<bool> writing{true};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    for (int k = 0; writing; ++k) {
      if (k % 4 == 3) {
        mariadb().execute("BEGIN; INSERT INTO " + database + ".test VALUES (" + std::to_string(1000000 + k) +
                          ", 'x'); ROLLBACK;");
        continue;
      }
      const int next = committed + 1;
      mariadb().execute("BEGIN; INSERT INTO " + database + ".test VALUES (" + std::to_string(next) + ", 'a'), (" +
                        std::to_string(next + 1) + ", 'b'); COMMIT;");
      committed += 2;
    }
  });
  std::vector<std::vector<int>> runs;
  auto ids_of = [](const std::string& out) {
    std::vector<int> ids;
    for (const auto& line : lines_of(out)) ids.push_back(std::stoi(line.substr(line.find(' ') + 1)));
    return ids;
  };
  for (int kill = 0; kill < 20; ++kill) {
    testing::CliProcess pub(args);
    const int seen = committed;
    testing::eventually([&] { return lines_of(pub.out()).size() >= 1 && committed > seen + 2; }, 20s);
    pub.send_signal(SIGKILL);
    pub.wait();
    runs.push_back(ids_of(pub.out()));
  }
  writing = false;
  writer.join();
  auto last = args;
  last.push_back("--once");
  const auto final_run = testing::run_cli(last);
  REQUIRE(final_run.exit_code == 0);
  runs.push_back(ids_of(final_run.out));

  std::set<int> delivered;
  int previous = 0;  // the last id delivered before the run
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const auto& run = runs[k];
    for (std::size_t i = 0; i < run.size(); ++i) {
      if (i > 0) CHECK(run[i] == run[i - 1] + 1);  // in commit order within a run
      delivered.insert(run[i]);
    }
    if (run.empty()) continue;
    INFO("run " << k << " starts at id " << run.front() << " after id " << previous);
    CHECK(run.front() % 2 == 1);          // at a transaction's start (ids 2n-1 and 2n)
    CHECK(run.front() <= previous + 1);  // nothing skipped across a kill
    // The position of each transaction is kept before the next reaches a
    // sink: a kill repeats at most the one in hand.
    const int transactions_again = run.front() <= previous ? (previous - run.front()) / 2 + 1 : 0;
    CHECK(transactions_again <= 1);
    previous = std::max(previous, run.back());
  }
  CHECK(static_cast<int>(delivered.size()) == committed.load());
  CHECK(*delivered.rbegin() == committed.load());  // and no rolled-back row
}

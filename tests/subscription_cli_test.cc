// The subscription commands of the `meowmx` command line, run as a user
// would: `sub` printing JSON lines (or feeding --exec) and committing its
// checkpoint, `status` as a table and as JSON lines, `sub-reset`,
// `sub-delete`, and bad input exiting 2 without creating anything.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/cli_runner.h"
#include "support/events.h"
#include "support/polling.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using testing::CliResult;

namespace {

using testing::connect;
using testing::numbered_events;

constexpr const char* kHostile = "x'; drop table meowmx.events; --";

CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args) {
  args.insert(args.begin(), {"--dsn", dsn});
  return testing::run_cli(args);
}

// A database with a few events over two types; returns their ids in log order.
struct Store {
  std::string dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  Client writer = connect(dsn);

  std::vector<std::int64_t> log_ids(const std::string& type = "") {
    pqxx::nontransaction tx(writer.connection());
    std::vector<std::int64_t> out;
    for (const auto& row : tx.exec_params(
             "SELECT id FROM meowmx.events WHERE $1 = '' OR aggregate_type = $1 ORDER BY tx_id, id", type)) {
      out.push_back(row[0].as<std::int64_t>());
    }
    return out;
  }
  std::int64_t count(const std::string& sql) {
    pqxx::nontransaction tx(writer.connection());
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
};

void save_some(Client& writer) {
  writer.save("order", "o1", numbered_events(3), 0);
  writer.save("invoice", "i1", numbered_events(2), 0);
  writer.save("order", "o2", numbered_events(1), 0);
}

// The error is one line, "meowmx: error: ...", the last on stderr (log
// lines, warnings of retries for instance, may come before it).
void check_one_error_line(const CliResult& result) {
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.err.empty());
  CHECK(result.err.back() == '\n');
  const auto start = result.err.find("meowmx: error: ");
  REQUIRE(start != std::string::npos);
  CHECK((start == 0 || result.err[start - 1] == '\n'));
  CHECK(result.err.find('\n', start) == result.err.size() - 1);
}

// Runs `sub` and returns its event lines, requiring exit 0 and every field.
std::vector<json> sub_lines(const std::string& dsn, std::vector<std::string> args) {
  args.insert(args.begin(), "sub");
  const auto result = meowmx_at(dsn, args);
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = result.json_lines();
  for (const auto& line : lines) {
    INFO(line.dump());
    for (const char* key : {"id", "tx_id", "position", "aggregate_type", "aggregate_id", "version", "event_type",
                            "json", "metadata", "event_id", "created_at"}) {
      CAPTURE(key);
      CHECK(line.contains(key));
    }
    CHECK(line.at("position").get<std::string>() ==
          Position{line.at("tx_id").get<std::uint64_t>(), line.at("id").get<std::int64_t>()}.to_string());
  }
  return lines;
}

std::vector<std::int64_t> ids(const std::vector<json>& lines) {
  std::vector<std::int64_t> out;
  for (const auto& line : lines) out.push_back(line.at("id").get<std::int64_t>());
  return out;
}

std::vector<json> status_json(const std::string& dsn) {
  const auto result = meowmx_at(dsn, {"status", "--json"});
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  return result.json_lines();
}

json status_of(const std::string& dsn, const std::string& name) {
  for (auto& line : status_json(dsn)) {
    if (line.at("name") == name) return line;
  }
  FAIL("no status line for " << name);
  return {};
}

class TempPath {
 public:
  TempPath() {
    char pattern[] = "/tmp/meowmx-sub-XXXXXX";
    const int fd = mkstemp(pattern);
    REQUIRE(fd >= 0);
    close(fd);
    path_ = pattern;
  }
  ~TempPath() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::vector<json> json_lines() const {
    std::ifstream in(path_);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("cli: sub --until-caught-up prints each event once as a JSON line and commits its checkpoint") {
  Store store;
  save_some(store.writer);
  const auto log = store.log_ids();

  const auto first = sub_lines(store.dsn, {"printer", "--until-caught-up"});
  CHECK(ids(first) == log);
  CHECK(first.at(0).at("aggregate_type") == "order");
  CHECK(first.at(0).at("aggregate_id") == "o1");
  CHECK(first.at(0).at("version") == 0);
  CHECK(first.at(0).at("event_type") == "Numbered");
  CHECK(first.at(0).at("json") == json{{"n", 0}});
  CHECK(first.at(0).at("metadata").is_null());

  CHECK(sub_lines(store.dsn, {"printer", "--until-caught-up"}).empty());
  const auto later = store.writer.save("order", "o3", numbered_events(2), 0);
  CHECK(ids(sub_lines(store.dsn, {"printer", "--until-caught-up"})) ==
        std::vector<std::int64_t>{later[0].id, later[1].id});

  const auto status = status_of(store.dsn, "printer");
  CHECK(status.at("delivered") == 8);
  CHECK(status.at("events_behind") == 0);
  CHECK(status.at("checkpoint") == later[1].position().to_string());

  SECTION("--category and --batch-size") {
    const auto invoices = sub_lines(store.dsn, {"invoices", "--category", "invoice", "--batch-size", "1",
                                                "--until-caught-up"});
    CHECK(ids(invoices) == store.log_ids("invoice"));
    CHECK(status_of(store.dsn, "invoices").at("categories") == json{"invoice"});
    const auto both = sub_lines(store.dsn, {"both", "--category", "order,invoice", "--until-caught-up"});
    CHECK(ids(both) == store.log_ids());
  }

  SECTION("--from now") {
    CHECK(sub_lines(store.dsn, {"fresh", "--from", "now", "--until-caught-up"}).empty());
    const auto newer = store.writer.save("invoice", "i9", numbered_events(1), 0);
    CHECK(ids(sub_lines(store.dsn, {"fresh", "--until-caught-up"})) == std::vector<std::int64_t>{newer[0].id});
  }
}

TEST_CASE("cli: sub --exec feeds each batch to a command; the checkpoint moves only when it exits 0") {
  Store store;
  save_some(store.writer);
  const auto log = store.log_ids();

  SECTION("a failing command: exit 1 after --max-attempts, checkpoint unchanged") {
    const auto result = meowmx_at(store.dsn, {"sub", "failing", "--exec", "false", "--max-attempts", "1",
                                             "--until-caught-up"});
    CHECK(result.exit_code == 1);
    check_one_error_line(result);
    CHECK(result.out.empty());
    const auto status = status_of(store.dsn, "failing");
    CHECK(status.at("checkpoint") == "0:0");
    CHECK(status.at("delivered") == 0);
    CHECK(status.at("events_behind") == 6);

    // The same subscription with a working command then gets every event.
    TempPath out;
    const auto ok = meowmx_at(store.dsn, {"sub", "failing", "--exec", "cat >> " + out.path(), "--until-caught-up"});
    INFO("stderr: " << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK(ids(out.json_lines()) == log);
    CHECK(status_of(store.dsn, "failing").at("delivered") == 6);
  }

  SECTION("a command that succeeds gets every event as JSON lines on stdin") {
    TempPath out;
    const auto result = meowmx_at(store.dsn, {"sub", "exec", "--exec", "cat >> " + out.path(), "--batch-size", "2",
                                             "--until-caught-up"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 0);
    const auto lines = out.json_lines();
    CHECK(ids(lines) == log);
    CHECK(lines.at(0).at("position").is_string());
    CHECK(status_of(store.dsn, "exec").at("events_behind") == 0);
  }

  SECTION("--on-failure dead-letter parks what keeps failing and moves on") {
    const auto result = meowmx_at(store.dsn, {"sub", "parking", "--exec", "false", "--max-attempts", "1",
                                             "--on-failure", "dead-letter", "--until-caught-up"});
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 0);
    CHECK(store.count("SELECT count(*) FROM meowmx.dead_letters WHERE subscription = 'parking'") == 6);
    CHECK(status_of(store.dsn, "parking").at("events_behind") == 0);
  }
}

TEST_CASE("cli: status shows each subscription as a table or as JSON lines") {
  Store store;
  CHECK(meowmx_at(store.dsn, {"status"}).out == "no subscriptions\n");
  CHECK(status_json(store.dsn).empty());

  save_some(store.writer);
  sub_lines(store.dsn, {"printer", "--until-caught-up"});
  sub_lines(store.dsn, {"orders", "--category", "order", "--until-caught-up"});
  store.writer.save("order", "o9", numbered_events(2), 0);

  const auto table = meowmx_at(store.dsn, {"status"});
  INFO(table.out);
  REQUIRE(table.exit_code == 0);
  std::istringstream in(table.out);
  std::string header, first, second;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  for (const char* column : {"NAME", "MEMBER", "CATEGORIES", "CHECKPOINT", "DELIVERED", "BEHIND", "LAG", "HELD",
                             "DEAD", "WORKER"}) {
    CHECK(header.find(column) != std::string::npos);
  }
  CHECK(first.rfind("orders ", 0) == 0);
  CHECK(first.find(" 0/1 ") != std::string::npos);
  CHECK(second.rfind("printer ", 0) == 0);
  CHECK(second.find(" * ") != std::string::npos);  // all categories

  const auto lines = status_json(store.dsn);
  REQUIRE(lines.size() == 2);
  const auto& printer = lines.at(1);
  for (const char* key : {"name", "group_member", "group_size", "categories", "checkpoint", "delivered",
                          "events_behind", "seconds_behind", "held_back", "worker", "worker_alive", "updated_at",
                          "held_back_by"}) {
    CAPTURE(key);
    CHECK(printer.contains(key));
  }
  CHECK(printer.at("name") == "printer");
  CHECK(printer.at("group_member") == 0);
  CHECK(printer.at("group_size") == 1);
  CHECK(printer.at("categories") == json::array());
  CHECK(printer.at("delivered") == 6);
  CHECK(printer.at("events_behind") == 2);
  CHECK(printer.at("seconds_behind").get<double>() >= 0);
  CHECK(printer.at("held_back") == 0);
  CHECK(printer.at("held_back_by").is_null());
  CHECK(printer.at("worker").get<std::string>().find(':') != std::string::npos);  // host:pid
  // That process has exited; its session ends a moment later.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (status_of(store.dsn, "printer").at("worker_alive") != false &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(status_of(store.dsn, "printer").at("worker_alive") == false);
  CHECK(lines.at(0).at("categories") == json{"order"});

  SECTION("an open transaction holding delivery back is named") {
    pqxx::connection holder(store.dsn + (store.dsn.find('?') == std::string::npos ? "?" : "&") +
                            "application_name=report-job");
    pqxx::work held(holder);
    held.exec("SELECT pg_current_xact_id()");
    store.writer.save("invoice", "i7", numbered_events(1), 0);

    const auto held_line = status_of(store.dsn, "printer");
    CHECK(held_line.at("held_back") == 1);
    REQUIRE(held_line.at("held_back_by").is_object());
    CHECK(held_line.at("held_back_by").at("pid") == holder.backendpid());
    CHECK(held_line.at("held_back_by").contains("age_seconds"));
    CHECK(held_line.at("held_back_by").contains("xid"));

    const auto held_table = meowmx_at(store.dsn, {"status"});
    CHECK(held_table.out.find("held back by pid " + std::to_string(holder.backendpid()) + " (report-job), xid ") !=
          std::string::npos);
    CHECK(held_line.at("held_back_by").at("application_name") == "report-job");
    held.commit();
    CHECK(status_of(store.dsn, "printer").at("held_back") == 0);
  }
}

TEST_CASE("cli: sub-reset moves the checkpoint, sub-delete removes the subscription") {
  Store store;
  save_some(store.writer);
  const auto log = store.log_ids();
  REQUIRE(ids(sub_lines(store.dsn, {"printer", "--until-caught-up"})) == log);

  SECTION("--to beginning redelivers everything") {
    const auto reset = meowmx_at(store.dsn, {"sub-reset", "printer", "--to", "beginning"});
    INFO("stderr: " << reset.err);
    CHECK(reset.exit_code == 0);
    CHECK(ids(sub_lines(store.dsn, {"printer", "--until-caught-up"})) == log);
  }

  SECTION("the default is the beginning") {
    CHECK(meowmx_at(store.dsn, {"sub-reset", "printer"}).exit_code == 0);
    CHECK(ids(sub_lines(store.dsn, {"printer", "--until-caught-up"})) == log);
  }

  SECTION("--to now skips what is stored") {
    CHECK(meowmx_at(store.dsn, {"sub-reset", "printer", "--to", "beginning"}).exit_code == 0);
    CHECK(meowmx_at(store.dsn, {"sub-reset", "printer", "--to", "now"}).exit_code == 0);
    CHECK(sub_lines(store.dsn, {"printer", "--until-caught-up"}).empty());
  }

  SECTION("sub-delete removes it and its dead letters; deleting again is an error") {
    meowmx_at(store.dsn, {"sub", "parking", "--exec", "false", "--max-attempts", "1", "--on-failure",
                          "dead-letter", "--until-caught-up"});
    REQUIRE(store.count("SELECT count(*) FROM meowmx.dead_letters") == 6);
    CHECK(meowmx_at(store.dsn, {"sub-delete", "parking"}).exit_code == 0);
    CHECK(store.count("SELECT count(*) FROM meowmx.dead_letters") == 0);
    const auto removed = meowmx_at(store.dsn, {"sub-delete", "printer"});
    INFO("stderr: " << removed.err);
    CHECK(removed.exit_code == 0);
    CHECK(meowmx_at(store.dsn, {"status"}).out == "no subscriptions\n");
    const auto again = meowmx_at(store.dsn, {"sub-delete", "printer"});
    CHECK(again.exit_code == 2);
    check_one_error_line(again);
    CHECK(ids(sub_lines(store.dsn, {"printer", "--until-caught-up"})) == log);  // a new one starts afresh
  }
}

TEST_CASE("cli: bad subscription input exits 2 with one error line and creates nothing") {
  Store store;
  save_some(store.writer);
  const std::vector<std::vector<std::string>> bad = {
      {"sub", "s", "--from", "sideways", "--until-caught-up"},
      {"sub", "s", "--group-member", "5", "--group-size", "2", "--until-caught-up"},
      {"sub", "s", "--group-size", "0", "--until-caught-up"},
      {"sub", "s", "--batch-size", "0", "--until-caught-up"},
      {"sub", "s", "--batch-size", "many", "--until-caught-up"},
      {"sub", "s", "--max-attempts", "0", "--until-caught-up"},
      {"sub", "s", "--max-sleep", "0.0001", "--until-caught-up"},
      {"sub", "s", "--on-failure", "shrug", "--until-caught-up"},
      {"sub", "s", "--category", kHostile, "--until-caught-up"},
      {"sub", kHostile, "--until-caught-up"},
      {"sub", "", "--until-caught-up"},
      {"sub", "--until-caught-up"},
      {"sub-reset", "s", "--to", "sideways"},
      {"sub-reset", "nosuch"},
      {"sub-reset", kHostile},
      {"sub-delete", "nosuch"},
      {"sub-delete", kHostile},
  };
  for (const auto& args : bad) {
    std::string shown;
    for (const auto& a : args) shown += "'" + a + "' ";
    CAPTURE(shown);
    const auto result = meowmx_at(store.dsn, args);
    INFO("stdout: " << result.out << "\nstderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
  }
  CHECK(store.count("SELECT count(*) FROM meowmx.subscriptions") == 0);
  CHECK(store.count("SELECT count(*) FROM meowmx.events") == 6);

  SECTION("errors found by meowmx itself are one line") {
    check_one_error_line(meowmx_at(store.dsn, {"sub", "s", "--from", "sideways"}));
    check_one_error_line(meowmx_at(store.dsn, {"sub", kHostile}));
    check_one_error_line(meowmx_at(store.dsn, {"sub-delete", "nosuch"}));
    const auto eager = meowmx_at(store.dsn, {"sub", "s", "--max-sleep", "0.0001"});
    check_one_error_line(eager);
    CHECK(eager.err.find("--max-sleep must be at least 0.01 seconds") != std::string::npos);
  }

  SECTION("options that contradict the stored subscription exit 2") {
    REQUIRE(sub_lines(store.dsn, {"grouped", "--group-member", "0", "--group-size", "2", "--until-caught-up"})
                .size() <= 6);
    const auto other =
        meowmx_at(store.dsn, {"sub", "grouped", "--group-member", "0", "--group-size", "3", "--until-caught-up"});
    CHECK(other.exit_code == 2);
    check_one_error_line(other);
    const auto categories = meowmx_at(store.dsn, {"sub", "grouped", "--group-member", "0", "--group-size", "2",
                                                 "--category", "order", "--until-caught-up"});
    CHECK(categories.exit_code == 2);
  }
}

TEST_CASE("cli: a running sub whose subscription is deleted stops with exit 1 naming it") {
  Store store;
  save_some(store.writer);
  // max_sleep 30 s: only the delete's notification makes the idle worker look.
  auto worker = std::async(std::launch::async,
                           [&] { return meowmx_at(store.dsn, {"sub", "doomed", "--max-sleep", "30"}); });
  testing::wait_until("the worker delivered the events", std::chrono::seconds(20), [&] {
    return store.count("SELECT coalesce(sum(delivered), 0) FROM meowmx.subscriptions WHERE name = 'doomed'") == 6;
  });
  store.writer.delete_subscription("doomed");
  REQUIRE(worker.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto result = worker.get();
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 1);
  check_one_error_line(result);
  CHECK(result.err.find("subscription 'doomed'") != std::string::npos);
  CHECK(result.err.find("deleted") != std::string::npos);
}

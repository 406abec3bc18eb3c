// The `meowmx` command line under faults and signals, run as a user would: an
// output or an --exec command that cannot work stops a subscription instead
// of failing (and dead-lettering) every event; SIGINT and SIGTERM end a save
// reading stdin and a set-up waiting for the migration lock at once, with
// nothing written; `read --follow` survives a server restart; every error is
// one short line.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
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
using namespace std::chrono_literals;
using testing::CliProcess;
using testing::CliResult;
using testing::wait_until;

namespace {

std::vector<std::string> with_dsn(const std::string& dsn, std::vector<std::string> args) {
  args.insert(args.begin(), {"--dsn", dsn});
  return args;
}

CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args, const std::string& input = "") {
  return testing::run_cli(with_dsn(dsn, std::move(args)), input);
}

std::int64_t count(const std::string& dsn, const std::string& sql) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

// meowmx's one short line on stderr, "meowmx: error: ...", holding
// `expected_part`, last (a failed --exec command's own stderr may come first).
void check_one_short_error_line(const std::string& err, const std::string& expected_part) {
  INFO("stderr: " << err);
  REQUIRE_FALSE(err.empty());
  const auto start = err.rfind('\n', err.size() - 2);
  const std::string last = err.substr(start == std::string::npos ? 0 : start + 1);
  CHECK(last.rfind("meowmx: error: ", 0) == 0);
  CHECK(std::count(last.begin(), last.end(), '\n') == 1);
  CHECK(last.size() < 240);
  CHECK(last.find(expected_part) != std::string::npos);
  std::size_t own_lines = err.rfind("meowmx: ", 0) == 0 ? 1 : 0;
  for (std::size_t at = err.find("\nmeowmx: "); at != std::string::npos; at = err.find("\nmeowmx: ", at + 1)) {
    ++own_lines;
  }
  CHECK(own_lines == 1);
}

// Once the process blocks SIGINT and SIGTERM, it handles them (see
// cli/stop_signal.h); before, they would kill it.
bool handles_stop_signals(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("SigBlk:", 0) != 0) continue;
    const unsigned long long blocked = std::stoull(line.substr(7), nullptr, 16);
    const unsigned long long wanted = (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1));
    return (blocked & wanted) == wanted;
  }
  return false;
}

// Ends within a few seconds, as a prompt exit should.
CliResult wait_for_prompt_exit(CliProcess& process) {
  wait_until("the command exits", 5s, [&] { return process.exited(); });
  return process.wait();
}

}  // namespace

TEST_CASE("an output or --exec command that cannot work stops a subscription: exit 1, nothing dead-lettered") {
  const std::string dsn = testing::text_database();
  Client writer = testing::connect(dsn);
  for (int i = 0; i < 4; ++i) writer.save("order", "o-" + std::to_string(i), testing::numbered_events(5), 0);
  const std::vector<std::string> sub = {"sub", "s", "--on-failure", "dead-letter", "--max-attempts", "2",
                                        "--until-caught-up"};
  CliResult result;
  std::string message;
  SECTION("stdout is full") {
    result = CliProcess(with_dsn(dsn, sub), {.stdout_path = "/dev/full"}).wait();
    message = "cannot write to stdout";
  }
  SECTION("the command is not found (status 127)") {
    std::vector<std::string> args = sub;
    args.insert(args.end(), {"--exec", "no-such-command-meowmx ."});
    result = meowmx_at(dsn, args);
    message = "could not run (status 127";
  }
  SECTION("the command is not executable (status 126)") {
    std::vector<std::string> args = sub;
    args.insert(args.end(), {"--exec", "/dev/null"});
    result = meowmx_at(dsn, args);
    message = "could not run (status 126";
  }
  CHECK(result.exit_code == 1);
  check_one_short_error_line(result.err, message);
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.dead_letters") == 0);
  CHECK(count(dsn, "SELECT coalesce(sum(delivered), 0) FROM meowmx.subscriptions") == 0);
}

TEST_CASE("save --stdin ends at once on SIGINT or SIGTERM, saving nothing") {
  const std::string dsn = testing::text_database();
  const int signal = GENERATE(SIGINT, SIGTERM);
  CAPTURE(signal);
  CliProcess save(with_dsn(dsn, {"save", "order", "o-1", "--version", "0", "--stdin"}), {.open_stdin = true});
  save.write_stdin(R"({"event_type":"Created","json":{"n":1}})" "\n");
  wait_until("the save handles stop signals", 5s, [&] { return handles_stop_signals(save.pid()); });
  save.send_signal(signal);
  const CliResult result = wait_for_prompt_exit(save);
  CHECK(result.exit_code == 1);
  check_one_short_error_line(result.err, "interrupted");
  CHECK(result.out.empty());
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.events") == 0);
}

TEST_CASE("setup waiting for the migration lock ends at once on SIGTERM, changing nothing") {
  const std::string dsn = testing::fresh_database(testing::DatabaseOptions{false, std::nullopt});
  pqxx::connection holder(dsn);
  pqxx::nontransaction(holder).exec("SELECT pg_advisory_lock(" + std::to_string(0x6d656f776d78LL) + ")");

  CliProcess setup(with_dsn(dsn, {"setup"}));
  wait_until("setup waits for the lock", 10s, [&] {
    return count(dsn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 1;
  });
  setup.send_signal(SIGTERM);
  const CliResult result = wait_for_prompt_exit(setup);
  CHECK(result.exit_code == 1);
  check_one_short_error_line(result.err, "interrupted");
  CHECK(count(dsn, "SELECT count(*) FROM pg_namespace WHERE nspname = 'meowmx'") == 0);
}

TEST_CASE("read --follow reconnects after a server restart and goes on from its position") {
  const std::string dsn = testing::text_database();
  Client(testing::connect(dsn)).save("order", "before", testing::numbered_events(2), 0);
  CliProcess read(with_dsn(dsn, {"read", "--follow"}));
  wait_until("the first events are printed", 10s, [&] {
    const std::string out = read.out();
    return std::count(out.begin(), out.end(), '\n') == 2;
  });

  const auto port = testing::cluster().port();
  testing::cluster().stop();
  testing::cluster().start();
  REQUIRE(testing::cluster().port() == port);
  Client(testing::connect(dsn)).save("order", "after", testing::numbered_events(3), 0);
  wait_until("the events after the restart are printed", 30s, [&] {
    REQUIRE_FALSE(read.exited());
    const std::string out = read.out();
    return std::count(out.begin(), out.end(), '\n') == 5;
  });
  read.send_signal(SIGTERM);
  const CliResult result = wait_for_prompt_exit(read);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  std::vector<std::string> ids;
  for (const auto& line : result.json_lines()) ids.push_back(line.at("aggregate_id").get<std::string>());
  CHECK(ids == std::vector<std::string>{"before", "before", "after", "after", "after"});
}

TEST_CASE("errors are one short line, with the allowed range in words") {
  const std::string dsn = testing::text_database();
  const std::string many_digits(5000, '7');
  struct Case {
    std::vector<std::string> args;
    std::string expected_part;
  };
  const std::vector<Case> cases = {
      {{"save", "order", "o-1", "--version", many_digits, "--event-type", "T", "--json", "{}"},
       "from 0 to 2^63-1"},
      {{"save", "order", "o-1", "--version", "1\n2", "--event-type", "T", "--json", "{}"}, "invalid version '1?2'"},
      {{"load", "order", "o-1", "--from-version", "-1"}, "--from-version: '-1' is not a whole number from 0"},
      {{"load", "order", "o-1", "--limit", many_digits}, "is not a whole number from 0 to 2^63-1"},
      {{"sub", "s", "--batch-size", "0"}, "--batch-size: '0' is not a whole number from 1"},
      {{"sub", "s", "--group-size", "2"}, "--group-size requires --group-member"},
      {{"sub", "s", "--group-member", "1"}, "--group-member requires --group-size"},
      {{"read", "--after", many_digits}, "invalid position"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    const CliResult result = meowmx_at(dsn, c.args);
    CHECK(result.exit_code == 2);
    check_one_short_error_line(result.err, c.expected_part);
  }
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.events") == 0);
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.subscriptions") == 0);
}

TEST_CASE("a retry that is not identical is told so") {
  const std::string dsn = testing::text_database();
  // Two events, an event id on only the first.
  const std::string batch = R"({"event_type":"A","json":{},"event_id":"7d0a1c2e-3b4f-4a5b-9c6d-7e8f9a0b1c2d"})"
                            "\n" R"({"event_type":"B","json":{}})" "\n";
  REQUIRE(meowmx_at(dsn, {"save", "order", "o-1", "--version", "0", "--stdin"}, batch).exit_code == 0);
  const CliResult again = meowmx_at(dsn, {"save", "order", "o-1", "--version", "0", "--stdin"}, batch);
  CHECK(again.exit_code == 3);
  INFO(again.err);
  CHECK(again.err.find("not an identical retry") != std::string::npos);
  CHECK(again.err.find("by another write") == std::string::npos);
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.events") == 2);
}

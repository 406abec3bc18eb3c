// The binlog decoder fed bytes: MySQL 8's v2 rows events (extra data, an
// UPDATE's two column bitmaps with MINIMAL images), its binary JSON and its
// GTID events, which no server here writes. The fixtures are built by hand
// from MySQL's documentation of the formats (Rows_event, Table_map_log_event
// and Gtid_event in libbinlogevents, json_binary.h), byte by byte as commented.
#include <catch2/catch.hpp>

#include <mysql.h>
#include <mariadb_rpl.h>

#include <algorithm>
#include <string>

#include "capture/mariadb/binlog_reader.h"
#include "capture/mariadb/binlog_source.h"
#include "capture/mariadb/column_values.h"
#include "capture/mariadb/mysql_dsn.h"
#include "capture/mariadb/mysql_gtid.h"
#include "capture/mariadb/mysql_json.h"
#include "capture/mariadb/rows_event.h"
#include "capture/mariadb/table_map.h"
#include "meowmx/capture/position.h"
#include "meowmx/error.h"

using namespace meowmx;
using namespace meowmx::internal;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int value : values) out += static_cast<char>(value);
  return out;
}

// {"a":[1,true,"x"]}: a small object (count, size, one key entry, one value
// entry, the key) holding a small array (count, size, three value entries:
// an inlined int16, an inlined literal, a string at offset 13).
const std::string kJsonArray = bytes({0x03, 0x00, 0x0F, 0x00, 0x05, 0x01, 0x00, 0x04, 0x01, 0x00, 0x0C, 0x0D, 0x00,
                                      0x01, 'x'});
const std::string kJsonDocument =
    bytes({0x00, 0x01, 0x00, 0x1B, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x02, 0x0C, 0x00, 'a'}) + kJsonArray;

// TABLE_MAP of shop.orders (id INT signed PRIMARY KEY, note VARCHAR(40) NULL, doc JSON NULL).
std::string table_map_body() {
  return bytes({0x6D, 0, 0, 0, 0, 0, 0x01, 0x00}) +          // table id 109, flags
         bytes({4, 's', 'h', 'o', 'p', 0}) +                  // database
         bytes({6, 'o', 'r', 'd', 'e', 'r', 's', 0}) +        // table
         bytes({3, MYSQL_TYPE_LONG, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_JSON}) +
         bytes({3, 0x28, 0x00, 0x04}) +                        // metadata: VARCHAR max 40, JSON 4 length bytes
         bytes({0x06}) +                                       // nullable: note, doc
         bytes({1, 1, 0x00}) +                                 // SIGNEDNESS: id signed
         bytes({2, 3, 0xFC, 0xFF, 0x00}) +                     // DEFAULT_CHARSET: utf8mb4_0900_ai_ci (255)
         bytes({4, 12, 2, 'i', 'd', 4, 'n', 'o', 't', 'e', 3, 'd', 'o', 'c'}) +  // COLUMN_NAME
         bytes({8, 1, 0});                                     // SIMPLE_PRIMARY_KEY: column 0
}

}  // namespace

TEST_CASE("a MySQL 8 table map with optional metadata gives names, signedness, charsets and the key") {
  const TableMap map = parse_table_map(table_map_body(), BinlogFlavour::kMysql);
  CHECK(map.table_id == 109);
  CHECK(map.database == "shop");
  CHECK(map.table == "orders");
  REQUIRE(map.columns.size() == 3);
  CHECK(map.has_column_names);
  CHECK(map.columns[0].name == "id");
  CHECK_FALSE(map.columns[0].is_unsigned);
  CHECK_FALSE(map.columns[0].nullable);
  CHECK(map.columns[1].name == "note");
  CHECK(map.columns[1].meta == 40);
  CHECK(map.columns[1].collation == 255);
  CHECK(map.columns[2].name == "doc");
  CHECK(map.primary_key == std::vector<std::size_t>{0});
}

TEST_CASE("the charset metadata counts a GEOMETRY column as MariaDB does, or as MySQL does") {
  // shop.geo (g GEOMETRY, name VARCHAR(10)): default collation 45, and 63 for
  // character column 0, which is g to MariaDB and name to MySQL.
  const std::string body = bytes({0x6E, 0, 0, 0, 0, 0, 0x01, 0x00}) + bytes({4, 's', 'h', 'o', 'p', 0}) +
                           bytes({3, 'g', 'e', 'o', 0}) + bytes({2, MYSQL_TYPE_GEOMETRY, MYSQL_TYPE_VARCHAR}) +
                           bytes({3, 0x04, 0x0A, 0x00}) +  // metadata: GEOMETRY 4 length bytes, VARCHAR max 10
                           bytes({0x03}) +                 // both nullable
                           bytes({2, 3, 45, 0, 63}) +      // DEFAULT_CHARSET
                           bytes({4, 7, 1, 'g', 4, 'n', 'a', 'm', 'e'});
  CHECK(parse_table_map(body, BinlogFlavour::kMariaDb).columns[1].collation == 45);
  CHECK(parse_table_map(body, BinlogFlavour::kMysql).columns[1].collation == 63);
}

TEST_CASE("MySQL 8 v2 WRITE_ROWS with binary JSON") {
  const TableMap map = parse_table_map(table_map_body(), BinlogFlavour::kMysql);
  const std::string body = bytes({0x6D, 0, 0, 0, 0, 0, 0x01, 0x00}) +  // table id, flags
                           bytes({0x02, 0x00}) +                        // extra data: none (the length counts itself)
                           bytes({3, 0x07}) +                           // 3 columns, all present
                           bytes({0x00}) +                              // no NULLs
                           bytes({0x2A, 0, 0, 0}) +                     // id 42
                           bytes({2, 'h', 'i'}) +                       // note
                           bytes({static_cast<int>(kJsonDocument.size()), 0, 0, 0}) + kJsonDocument;
  const RowsEvent event = parse_rows_event(WRITE_ROWS_EVENT, body);
  CHECK(event.action == ChangeAction::kWrite);
  int rows = 0;
  decode_rows(event, map, [&](RowImage* before, RowImage* after) {
    ++rows;
    CHECK(before == nullptr);
    REQUIRE(after != nullptr);
    CHECK((*after)[0] == Value{Value::Kind::kNumber, "42"});
    CHECK((*after)[1] == Value{Value::Kind::kString, "hi"});
    CHECK((*after)[2] == Value{Value::Kind::kJson, R"({"a":[1,true,"x"]})"});
  });
  CHECK(rows == 1);
}

TEST_CASE("MySQL 8 v2 UPDATE_ROWS: both bitmaps, MINIMAL images leave absent columns absent") {
  const TableMap map = parse_table_map(table_map_body(), BinlogFlavour::kMysql);
  const std::string body = bytes({0x6D, 0, 0, 0, 0, 0, 0x01, 0x00}) +
                           bytes({0x05, 0x00, 0x00, 0x01, 0x00}) +  // extra data of 3 bytes, skipped
                           bytes({3, 0x01, 0x02}) +                  // before: id; after: note
                           bytes({0x00, 0x2A, 0, 0, 0}) +            // before image: id 42
                           bytes({0x00, 3, 'b', 'y', 'e'});          // after image: note 'bye'
  const RowsEvent event = parse_rows_event(UPDATE_ROWS_EVENT, body);
  CHECK(event.action == ChangeAction::kUpdate);
  decode_rows(event, map, [&](RowImage* before, RowImage* after) {
    REQUIRE((before && after));
    CHECK((*before)[0] == Value{Value::Kind::kNumber, "42"});
    CHECK_FALSE((*before)[1].has_value());
    CHECK_FALSE((*after)[0].has_value());
    CHECK((*after)[1] == Value{Value::Kind::kString, "bye"});
    CHECK_FALSE((*after)[2].has_value());
  });
}

TEST_CASE("a rows event that does not match its table map is refused, not misread") {
  const TableMap map = parse_table_map(table_map_body(), BinlogFlavour::kMysql);
  const std::string truncated = bytes({0x6D, 0, 0, 0, 0, 0, 0x01, 0x00, 0x02, 0x00, 3, 0x07, 0x00, 0x2A, 0});
  CHECK_THROWS_AS(decode_rows(parse_rows_event(WRITE_ROWS_EVENT, truncated), map, [](auto, auto) {}), Error);
}

TEST_CASE("binary JSON: large containers, integers, doubles, opaque DECIMAL") {
  CHECK(mysql_json_to_text(bytes({0x04, 0x00})) == "null");
  CHECK(mysql_json_to_text(bytes({0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F})) == "9223372036854775807");
  CHECK(mysql_json_to_text(bytes({0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})) == "18446744073709551615");
  CHECK(mysql_json_to_text(bytes({0x0B, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F})) == "1.5");
  // A large array (4-byte count and size) of one inlined int32.
  CHECK(mysql_json_to_text(bytes({0x03, 1, 0, 0, 0, 13, 0, 0, 0, 0x07, 0xFE, 0xFF, 0xFF, 0xFF})) == "[-2]");
  // An opaque DECIMAL(10,2): precision, scale, then the binary decimal of -1234.56.
  CHECK(mysql_json_to_text(bytes({0x0F, MYSQL_TYPE_NEWDECIMAL, 7, 10, 2, 0x7F, 0xFF, 0xFB, 0x2D, 0xC7})) ==
        "-1234.56");
  CHECK_THROWS_AS(mysql_json_to_text(bytes({0x00, 0x05, 0x00})), Error);
}

TEST_CASE("binary DECIMAL is exact digits, never a double") {
  BinlogColumn column;
  column.type = MYSQL_TYPE_NEWDECIMAL;
  column.meta = (10 << 8) | 2;
  const std::string positive = bytes({0x80, 0x00, 0x04, 0xD2, 0x38});
  BinlogReader in(positive);
  CHECK(decode_column(column, in) == Value{Value::Kind::kString, "1234.56"});
  const std::string negative = bytes({0x7F, 0xFF, 0xFB, 0x2D, 0xC7});
  BinlogReader in2(negative);
  CHECK(decode_column(column, in2) == Value{Value::Kind::kString, "-1234.56"});
  // Leading zeros dropped but one before the point; zero, negative or not, unsigned.
  const std::string small = bytes({0x80, 0x00, 0x00, 0x00, 0x05});
  BinlogReader in3(small);
  CHECK(decode_column(column, in3) == Value{Value::Kind::kString, "0.05"});
  column.meta = 5 << 8;
  const std::string zero = bytes({0x80, 0x00, 0x00});
  BinlogReader in4(zero);
  CHECK(decode_column(column, in4) == Value{Value::Kind::kString, "0"});
  const std::string negative_zero = bytes({0x7F, 0xFF, 0xFF});
  BinlogReader in5(negative_zero);
  CHECK(decode_column(column, in5) == Value{Value::Kind::kString, "0"});
}

namespace {

// The post-header of a MySQL GTID event: flags, the server's UUID
// 3e11fa47-71ca-11e1-9e33-c80aa9429562, the GNO, the logical clock (type
// code 2, last_committed 5, sequence_number 6).
std::string gtid_post_header(std::uint8_t gno) {
  return bytes({0x00}) +
         bytes({0x3E, 0x11, 0xFA, 0x47, 0x71, 0xCA, 0x11, 0xE1, 0x9E, 0x33, 0xC8, 0x0A, 0xA9, 0x42, 0x95, 0x62}) +
         bytes({gno, 0, 0, 0, 0, 0, 0, 0}) + bytes({0x02}) + bytes({5, 0, 0, 0, 0, 0, 0, 0}) +
         bytes({6, 0, 0, 0, 0, 0, 0, 0});
}

// MySQL 8's body after it, as the source server writes it: one commit
// timestamp (7 bytes of microseconds, its top bit clear: no original one
// follows), the transaction's length (a length-encoded 300) and one server
// version (80036, its top bit clear).
const std::string kMysql8GtidBody = bytes({0x40, 0x22, 0x20, 0x18, 0x24, 0x0A, 0x06}) + bytes({0xFC, 0x2C, 0x01}) +
                                    bytes({0xA4, 0x38, 0x01, 0x00});

}  // namespace

TEST_CASE("MySQL GTID events give the position's gtid as uuid:gno") {
  CHECK(is_mysql_gtid_event(GTID_LOG_EVENT));
  CHECK(is_mysql_gtid_event(ANONYMOUS_GTID_LOG_EVENT));
  CHECK_FALSE(is_mysql_gtid_event(GTID_EVENT));  // MariaDB's
  const MysqlGtid mysql8 = parse_mysql_gtid(GTID_LOG_EVENT, gtid_post_header(23) + kMysql8GtidBody);
  CHECK(mysql8.gtid == "3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
  CHECK(mysql8.gno == 23);
  // MySQL 5.7's: the post-header alone.
  CHECK(parse_mysql_gtid(GTID_LOG_EVENT, gtid_post_header(7)).gtid == "3e11fa47-71ca-11e1-9e33-c80aa9429562:7");
}

TEST_CASE("an anonymous MySQL GTID event (gtid_mode OFF) gives no gtid; malformed ones are refused") {
  std::string anonymous = gtid_post_header(0) + kMysql8GtidBody;
  std::fill(anonymous.begin() + 1, anonymous.begin() + 17, '\0');  // no server UUID
  const MysqlGtid none = parse_mysql_gtid(ANONYMOUS_GTID_LOG_EVENT, anonymous);
  CHECK(none.gtid.empty());
  CHECK(none.gno == 0);
  CHECK_THROWS_AS(parse_mysql_gtid(GTID_LOG_EVENT, gtid_post_header(23).substr(0, 20)), Error);
  CHECK_THROWS_WITH(parse_mysql_gtid(GTID_LOG_EVENT, gtid_post_header(0)), Catch::Contains("transaction number 0"));
}

TEST_CASE("binlog positions order by file, then offset, and round-trip through JSON") {
  const TransactionPosition a = BinlogPosition{"mariadb-bin.000009", 900, "0-1-5"};
  const TransactionPosition b = BinlogPosition{"mariadb-bin.000010", 4, ""};
  const TransactionPosition c = BinlogPosition{"mariadb-bin.1000000", 4, ""};
  CHECK(compare(a, b) == std::partial_ordering::less);
  CHECK(compare(b, c) == std::partial_ordering::less);
  CHECK(to_json_text(a) == R"({"file":"mariadb-bin.000009","pos":900,"gtid":"0-1-5"})");
  CHECK(parse_transaction_position(to_json_text(a)) == a);
  CHECK(parse_transaction_position(to_json_text(b)) == b);
  CHECK(change_position_json(a, 3) == R"({"file":"mariadb-bin.000009","pos":900,"index":3})");
}

TEST_CASE("MySQL DSNs and default server ids") {
  const MysqlDsn dsn = parse_mysql_dsn("mysql://app:s%40cret@db.example.com:3307/shop");
  CHECK(dsn.user == "app");
  CHECK(dsn.password == "s@cret");
  CHECK(dsn.host == "db.example.com");
  CHECK(dsn.port == 3307);
  CHECK(dsn.database == "shop");
  CHECK(dsn.describe().find("cret") == std::string::npos);
  CHECK_THROWS_AS(parse_mysql_dsn("postgres://x"), InvalidArgument);
  CHECK(default_server_id("orders") == default_server_id("orders"));
  CHECK(default_server_id("orders") != default_server_id("orders2"));
  CHECK(default_server_id("") >= 1000);
}

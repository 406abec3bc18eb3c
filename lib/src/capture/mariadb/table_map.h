// TableMap: a TABLE_MAP event, which describes the table of the rows events
// after it: column types and their metadata, nullability and, with
// binlog_row_metadata=FULL, the optional metadata (names, signedness,
// character sets, ENUM/SET strings, primary key). Each map describes the
// table as it was when its rows were written, so a schema change mid-stream
// needs no schema history.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_TABLE_MAP_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_TABLE_MAP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meowmx::internal {

struct BinlogColumn {
  // The type as the binlog writes it (mysql.h's enum_field_types), with
  // MYSQL_TYPE_STRING resolved to its real type (ENUM, SET or STRING).
  std::uint8_t type = 0;
  // The type's metadata: a length (CHAR, VARCHAR, BLOB), a precision and
  // scale (DECIMAL), a fractional-second precision (TIME2, ...).
  std::uint16_t meta = 0;
  bool nullable = false;
  bool is_unsigned = false;
  // The collation of a character column (63: binary); 0 for other columns.
  std::uint32_t collation = 0;
  std::string name;
  std::vector<std::string> elements;  // an ENUM's or a SET's strings
  // The column's SQL type where the binlog type is ambiguous ("inet6",
  // "uuid" arrive as BINARY(16)); filled in by the source, else empty.
  std::string sql_type;
};

struct TableMap {
  std::uint64_t table_id = 0;
  std::string database;
  std::string table;
  std::vector<BinlogColumn> columns;
  std::vector<std::size_t> primary_key;  // column indexes in key order
  bool has_column_names = false;         // binlog_row_metadata=FULL
};

// Whose binlog a table map is from: the two count different columns as
// character columns (see is_character_type).
enum class BinlogFlavour { kMariaDb, kMysql };

// Parses a TABLE_MAP event's body (post-header and payload, no checksum).
// Throws Error for a malformed one.
TableMap parse_table_map(std::string_view body, BinlogFlavour flavour);

// Whether the binlog counts the column as numeric (SIGNEDNESS bits) or as a
// character column (charset metadata, which indexes those columns only).
// MariaDB counts GEOMETRY columns among the character ones (a GEOMETRY is a
// binary BLOB to it), MySQL does not.
bool is_numeric_type(std::uint8_t type);
bool is_character_type(std::uint8_t type, BinlogFlavour flavour);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_TABLE_MAP_H_

// MySQL 8's binary JSON (the storage format of its JSON columns, which its
// binlog carries as is), turned back into JSON text. MariaDB stores JSON as
// text and never writes this. Built from MySQL's documentation of the format
// (json_binary.h): objects and arrays, small and large, with inlined
// scalars; literals, integers of 16 to 64 bits, doubles, strings, and opaque
// values (DECIMAL as a JSON number of its exact digits; the others, dates
// and times among them, as base64 strings of their bytes).
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_JSON_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_JSON_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

// Throws Error for a malformed document. An empty one (a JSON column set to
// '' by a non-strict server) reads as null.
std::string mysql_json_to_text(std::string_view binary);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_JSON_H_

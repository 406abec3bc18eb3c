// Column values of a row image, decoded from the binlog's storage format
// into meowmx's exact Value text (see docs/mysql-source.md for the table):
// integers, DECIMAL, BIT and YEAR exactly as digits (DECIMAL as a string,
// never through a double), FLOAT and DOUBLE in their shortest round-trip
// form, temporal types as the server prints them (TIMESTAMP in UTC),
// character columns as UTF-8, binary ones and GEOMETRY as base64, ENUM and
// SET as their strings, JSON as JSON text.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_COLUMN_VALUES_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_COLUMN_VALUES_H_

#include "capture/mariadb/binlog_reader.h"
#include "capture/mariadb/table_map.h"
#include "meowmx/capture/value.h"

namespace meowmx::internal {

// Reads one non-NULL value of `column` from `in`. Throws Error for a type
// the binlog should not hold or a malformed value.
Value decode_column(const BinlogColumn& column, BinlogReader& in);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_COLUMN_VALUES_H_

// DecodedRows: the row images that MariaDB's own mariadb-binlog prints with
// --base64-output=DECODE-ROWS -vv, read back into values, so a test can hold
// the MySQL source's decoding against the server's tool on the same binlog:
//
//   ### UPDATE `shop`.`orders`
//   ### WHERE
//   ###   @1=1 /* INT meta=0 nullable=0 is_null=0 */
//   ### SET
//   ###   @2='x\x0a' /* VARSTRING(40) meta=40 nullable=1 is_null=0 */
//
// mariadb-binlog prints a quoted value's bytes as they are, those below 0x20
// as \xNN; nothing else is escaped, so a value holding the text "\x41" reads
// back wrongly (tests do not use one).
#ifndef MEOWMX_TESTS_SUPPORT_DECODED_ROWS_H_
#define MEOWMX_TESTS_SUPPORT_DECODED_ROWS_H_

#include <map>
#include <string>
#include <vector>

namespace meowmx::testing {

struct DecodedValue {
  // A quoted value's bytes, unescaped; anything else as printed ("-1 (255)",
  // "b'101'", "1717243200.123"), trailing padding removed.
  std::string text;
  bool quoted = false;
  bool null = false;
  std::string type;  // the comment's type: "INT", "STRING(16)", "TIMESTAMP(3)"
};

// By column number (1-based); the columns an image does not hold are absent.
using DecodedImage = std::map<int, DecodedValue>;

struct DecodedRow {
  std::string action;   // "INSERT", "UPDATE" or "DELETE"
  std::string table;    // "db.table"
  DecodedImage before;  // an UPDATE's WHERE, a DELETE's
  DecodedImage after;   // an INSERT's, an UPDATE's SET
};

// Every row image in `text` (mariadb-binlog's output), in binlog order.
// Throws meowmx::Error for a line it cannot read.
std::vector<DecodedRow> parse_decoded_rows(const std::string& text);

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_DECODED_ROWS_H_

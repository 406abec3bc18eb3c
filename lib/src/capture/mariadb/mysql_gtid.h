// MySQL's GTID events, GTID_LOG_EVENT (33) and ANONYMOUS_GTID_LOG_EVENT (34),
// which open each transaction of a MySQL 5.7/8 binlog as GTID_EVENT does in
// MariaDB's. Their post-header (Gtid_event, MySQL's libbinlogevents
// control_events.h): a flags byte, the UUID of the server the transaction
// began on (16 bytes), its transaction number GNO (8 bytes, little-endian),
// then the logical clock (a type code and two 8-byte numbers); MySQL 8 adds,
// in the body, commit timestamps, the transaction's length and server
// versions. Only the UUID and the GNO are read: the GTID is "uuid:gno".
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_GTID_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_GTID_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace meowmx::internal {

struct MysqlGtid {
  // "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"; empty for an anonymous
  // transaction (a server with gtid_mode OFF).
  std::string gtid;
  std::uint64_t gno = 0;  // 0 when anonymous
};

// Whether `type` is one of MySQL's GTID events.
bool is_mysql_gtid_event(std::uint8_t type);

// Parses the body (no checksum) of a MySQL GTID event of `type`. Throws
// Error for a malformed one (too short, or a GTID of transaction number 0).
MysqlGtid parse_mysql_gtid(std::uint8_t type, std::string_view body);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_GTID_H_

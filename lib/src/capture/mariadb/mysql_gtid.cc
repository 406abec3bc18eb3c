#include "capture/mariadb/mysql_gtid.h"

#include <mysql.h>
#include <mariadb_rpl.h>

#include <limits>

#include "capture/mariadb/binlog_reader.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::size_t kUuidSize = 16;

}  // namespace

bool is_mysql_gtid_event(std::uint8_t type) {
  return type == GTID_LOG_EVENT || type == ANONYMOUS_GTID_LOG_EVENT;
}

MysqlGtid parse_mysql_gtid(std::uint8_t type, std::string_view body) {
  BinlogReader in(body);
  in.u8();  // flags: whether the transaction may hold statement-based changes
  const std::string uuid = uuid_text(in.take(kUuidSize));
  const std::uint64_t gno = in.uint_le(8);
  if (type == ANONYMOUS_GTID_LOG_EVENT) return {};
  // MySQL numbers a server's transactions from 1 up to 2^63-1.
  if (gno == 0 || gno > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    throw Error("binlog: a MySQL GTID event of transaction number " + std::to_string(gno));
  }
  return {uuid + ":" + std::to_string(gno), gno};
}

}  // namespace meowmx::internal

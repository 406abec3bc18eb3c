// mysql_pub_status(): a MySQL stream's kept position beside the server's binlog.
#include <algorithm>
#include <chrono>

#include "capture/mariadb/mysql_catalog.h"
#include "capture/mariadb/mysql_connection.h"
#include "capture/mariadb/mysql_dsn.h"
#include "capture/mariadb/position_store.h"
#include "meowmx/capture/pub.h"

namespace meowmx {

MysqlPubStatus mysql_pub_status(const MysqlSource& source) {
  MysqlPubStatus status;
  status.slot = source.slot;
  status.kept = internal::open_position_store(source)->load();
  internal::MysqlConnection connection(internal::parse_mysql_dsn(source.dsn), std::chrono::seconds(30));
  status.current = internal::current_position(connection);
  if (!status.kept) return status;
  const auto logs = internal::binary_logs(connection);
  const auto kept = std::find_if(logs.begin(), logs.end(),
                                 [&](const internal::BinaryLog& log) { return log.name == status.kept->file; });
  if (kept == logs.end()) {
    status.purged = true;
    return status;
  }
  for (auto log = kept; log != logs.end(); ++log) status.pending_bytes += static_cast<std::int64_t>(log->size);
  status.pending_bytes -= static_cast<std::int64_t>(status.kept->pos);
  status.pending_bytes = std::max<std::int64_t>(status.pending_bytes, 0);
  return status;
}

}  // namespace meowmx

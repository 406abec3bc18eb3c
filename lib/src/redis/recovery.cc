#include "meowmx/redis/recovery.h"

#include <pqxx/nontransaction>

#include "common/logger.h"
#include "meowmx/error.h"
#include "pg/session.h"
#include "redis/session_records.h"

namespace meowmx {

std::vector<RecoveredSession> recover(const RecoveryOptions& options) {
  if (options.days < 1) throw InvalidArgument("redis-recover: --days must be at least 1");
  internal::SessionRecords records(options.records);
  internal::Session database(ClientOptions{options.dsn, "meowmx redis-recover"});
  const RedisTime now = options.records.store.clock();
  std::vector<RecoveredSession> report;
  for (const auto& [space, id] : records.prepared_since(now - std::chrono::hours(24) * options.days)) {
    const auto session = records.read(space, id);
    if (!session) {
      // Its record expired before the set: nothing is left to replay.
      internal::logger().warn("redis-recover: session {} has no record left; dropped", id);
      if (!options.dry_run) records.forget(space, id);
      report.push_back({id, "", "unknown", options.dry_run ? "would drop" : "dropped", 0});
      continue;
    }
    const std::string status = database.guarded("redis-recover: asking about transaction " + session->xid, [&] {
      pqxx::nontransaction tx(database.connection());
      const auto row = tx.exec_params1("SELECT pg_xact_status($1::xid8)", session->xid);
      return row[0].is_null() ? std::string("unknown") : row[0].as<std::string>();
    });
    RecoveredSession line{id, session->xid, status, "left", session->changes.size()};
    if (status == "committed") {
      line.action = options.dry_run ? "would replay" : "replayed";
      if (!options.dry_run) records.publish(*session, session->prepared_at, "recovered");
    } else if (status == "aborted") {
      line.action = options.dry_run ? "would drop" : "dropped";
      if (!options.dry_run) records.finish(*session, "dropped");
    }
    report.push_back(std::move(line));
  }
  return report;
}

}  // namespace meowmx

#include "meowmx/redis/recovery.h"

#include <optional>

#include <pqxx/nontransaction>

#include "capture/sinks/zmq_publisher.h"
#include "meowmx/capture/change_event.h"
#include "common/logger.h"
#include "meowmx/error.h"
#include "pg/session.h"
#include "redis/session_records.h"

namespace meowmx {
namespace {

// A prepared session and what PostgreSQL says of its transaction.
struct Found {
  std::string space;
  std::string id;
  std::optional<PreparedSession> session;  // nullopt: its record expired before the set
  std::string status;
};

// Waits for a first subscriber on the socket for the replayed changes.
void await_subscriber(internal::ZmqPublisher& publisher, std::chrono::milliseconds wait) {
  if (!publisher.await_subscriber(wait)) {
    throw ConnectionError("redis-recover: no ZeroMQ subscriber subscribed on " + publisher.endpoint() + " within " +
                          std::to_string(wait.count()) + " ms; nothing was changed");
  }
}

}  // namespace

std::vector<RecoveredSession> recover(const RecoveryOptions& options) {
  if (options.days < 1) throw InvalidArgument("redis-recover: --days must be at least 1");
  // Opened at once, so a bad endpoint fails every run, not only the runs with something to replay.
  std::optional<internal::ZmqPublisher> publisher;
  if (options.zmq && !options.dry_run) publisher.emplace(*options.zmq, internal::Subscriptions::kSeen);
  internal::SessionRecords records(options.records);
  internal::Session database(ClientOptions{options.dsn, "meowmx redis-recover"});
  const RedisTime now = options.records.store.clock();
  // First every status, so that a missing subscriber stops recovery before it changes anything.
  std::vector<Found> found;
  bool any_committed = false;
  for (auto& [space, id] : records.prepared_since(now - std::chrono::hours(24) * options.days)) {
    Found& entry = found.emplace_back(Found{std::move(space), std::move(id), std::nullopt, "unknown"});
    entry.session = records.read(entry.space, entry.id);
    if (!entry.session) continue;
    entry.status = database.guarded("redis-recover: asking about transaction " + entry.session->xid, [&] {
      pqxx::nontransaction tx(database.connection());
      try {
        const auto row = tx.exec_params1("SELECT pg_xact_status($1::xid8)", entry.session->xid);
        if (!row[0].is_null()) return row[0].as<std::string>();
      } catch (const pqxx::data_exception&) {
        // An id not handed out yet: the record names another cluster's transaction.
      }
      internal::logger().warn(
          "redis-recover: PostgreSQL does not know transaction {} of session {} (too old, or of another database "
          "cluster than the one --dsn names); left",
          entry.session->xid, entry.id);
      return std::string("unknown");
    });
    any_committed = any_committed || entry.status == "committed";
  }
  if (any_committed && publisher) await_subscriber(*publisher, options.zmq_subscriber_wait);

  std::vector<RecoveredSession> report;
  for (const Found& entry : found) {
    if (!entry.session) {
      internal::logger().warn("redis-recover: session {} has no record left; dropped", entry.id);
      if (!options.dry_run) records.forget(entry.space, entry.id);
      report.push_back({entry.id, "", "unknown", options.dry_run ? "would drop" : "dropped", 0});
      continue;
    }
    const PreparedSession& session = *entry.session;
    RecoveredSession line{entry.id, session.xid, entry.status, "left", session.changes.size()};
    if (entry.status == "committed") {
      line.action = options.dry_run ? "would replay" : "replayed";
      if (!options.dry_run) {
        records.publish(session, session.prepared_at, "recovered");
        if (publisher) {
          for (const auto& change : session.changes) publisher->send(text_line(change.event, change.pk));
        }
      }
    } else if (entry.status == "aborted") {
      line.action = options.dry_run ? "would drop" : "dropped";
      if (!options.dry_run) records.finish(session, "dropped");
    }
    report.push_back(std::move(line));
  }
  return report;
}

}  // namespace meowmx

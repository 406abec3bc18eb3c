// Prepare-commit for writers (meepo's sqlalchemy_es_pub + RedisPrepareCommit):
// an application that writes its own tables through libpqxx makes sure each
// change it commits reaches the Redis store, even when it dies between its
// database commit and the publish.
//
//   meowmx::PrepareCommit records({.store = {.connection = {.url = redis_url}}});
//   meowmx::WriterTransaction tx(records, connection);
//   tx.work().exec_params0("UPDATE orders SET state = $1 WHERE id = $2", "paid", 42);
//   tx.touched("orders", meowmx::ChangeAction::kUpdate, "42");
//   tx.commit();
//
// commit() (1) prepares: in one MULTI/EXEC, the session id into the
// namespace's prepared set and a JSON record of the session (its PostgreSQL
// transaction id from pg_current_xact_id(), what it touched, state
// "prepared"); (2) commits the database transaction; (3) publishes, in one
// MULTI/EXEC: the store adds, the session out of the prepared set and its
// state "committed"; then sends the "<table>_<action>" signals when a bus is
// given. rollback() marks the session rolled back. Both keys get the TTL.
// A session left prepared (the writer died, or Redis failed at (3)) is what
// recover() (recovery.h) settles by asking PostgreSQL.
//
// Lenient (the default): a Redis failure is logged and left to recovery;
// the database commit goes on. Strict: a failure to prepare fails the commit
// (the database transaction is rolled back) and a failure to publish throws
// after the database commit (the changes are committed; recovery publishes).
#ifndef MEOWMX_REDIS_PREPARE_COMMIT_H_
#define MEOWMX_REDIS_PREPARE_COMMIT_H_

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "meowmx/capture/change_event.h"
#include "meowmx/capture/signal.h"
#include "meowmx/redis/event_store.h"

namespace meowmx {

// The moments of a commit, in order, for the on_step hook.
enum class CommitStep { kPrepared, kDatabaseCommitted, kPublished };

struct PrepareCommitOptions {
  // The store the adds go to; the records live on the same Redis.
  RedisEventStoreOptions store;
  // Prepared sets are "<namespace>:prepared", records "<namespace>:session:<id>";
  // a strftime pattern in UTC (per day by default) or a fixed string.
  std::string namespace_pattern = "meowmx:pc:%Y%m%d";
  // Of the prepared set and of each record, from their last write.
  std::chrono::seconds ttl{3 * 24 * 3600};
  bool strict = false;
  // Also send "<table>_<action>" signals with the pk (as a JSON string) here.
  SignalBus* signals = nullptr;
  // Called after each step of a commit; tests crash the writer here.
  std::function<void(CommitStep)> on_step;
};

// What a session record says.
struct PreparedSession {
  std::string id;
  std::string xid;          // pg_current_xact_id() as text
  std::string state;        // "prepared", "committed", "rolled_back", "recovered", "dropped"
  RedisTime prepared_at;
  struct Change {
    std::string event;  // "orders_update"
    std::string pk;
    bool operator==(const Change&) const = default;
  };
  std::vector<Change> changes;
};

// The records of one writer process; not thread-safe (one per thread).
class PrepareCommit {
 public:
  // Connects on first use, so a lenient writer starts while Redis is down.
  // Throws InvalidArgument for bad options.
  explicit PrepareCommit(PrepareCommitOptions options);
  ~PrepareCommit();

  // The record of a session, nullopt when there is none (never prepared, or
  // expired): "committed" and "never prepared" are told apart until the TTL.
  std::optional<PreparedSession> session(std::string_view id);
  // The ids in the prepared set of the namespace of `day` (default: now).
  std::vector<std::string> prepared(std::optional<RedisTime> day = std::nullopt);

  const PrepareCommitOptions& options() const noexcept;

 private:
  friend class WriterTransaction;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WriterTransaction {
 public:
  // Begins a database transaction on `connection`, with a new session id.
  WriterTransaction(PrepareCommit& records, pqxx::connection& connection);
  // Rolls back (and marks the session so) unless committed.
  ~WriterTransaction();
  WriterTransaction(const WriterTransaction&) = delete;
  WriterTransaction& operator=(const WriterTransaction&) = delete;

  pqxx::work& work() { return *work_; }
  const std::string& session_id() const noexcept { return session_.id; }

  // Records that the transaction wrote `pk` of `table` (its pk text: a
  // composite key as its JSON). Throws InvalidArgument for an empty table.
  void touched(std::string_view table, ChangeAction action, std::string_view pk);

  // Prepare, database commit, publish, finish (see above). Throws what the
  // database commit throws (pqxx's errors, as libpqxx users expect), and in
  // strict mode meowmx::Error for a Redis failure.
  void commit();
  // Rolls the database transaction back and marks the session rolled back
  // (when it was prepared). Never throws for Redis in lenient mode.
  void rollback();

 private:
  // The message of a strict publish that failed after the database commit.
  std::string committed_but_unpublished(const std::exception& e) const;

  PrepareCommit& records_;
  std::unique_ptr<pqxx::work> work_;
  PreparedSession session_;  // what is touched, and once prepared its xid and time
  bool prepared_ = false;
  bool done_ = false;
};

}  // namespace meowmx

#endif  // MEOWMX_REDIS_PREPARE_COMMIT_H_

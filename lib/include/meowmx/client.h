// Client: the event store over one PostgreSQL connection.
//
// A Client is not thread-safe: give each thread its own. Every method that
// writes is atomic: it changes everything it was asked to, or nothing.
#ifndef MEOWMX_CLIENT_H_
#define MEOWMX_CLIENT_H_

#include <memory>
#include <stop_token>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "meowmx/event.h"
#include "meowmx/expected_version.h"
#include "meowmx/options.h"
#include "meowmx/subscription.h"

namespace pqxx {
class transaction_base;
}

namespace meowmx {

class Aggregate;

class Client {
 public:
  // Connects at once; throws ConnectionError when the server cannot be reached.
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Creates or upgrades the meowmx schema; safe to call any number of times,
  // from several processes at once.
  void setup(const SetupOptions& options = {});

  // Appends `events` to the aggregate (type, id) as one atomic batch in one
  // round trip, checking `version` (see ExpectedVersion). Returns the recorded
  // events in version order. Throws VersionConflict when the check fails, or
  // when a client event id was already used by a different write. A retry of
  // a batch whose event ids are all recorded returns those events unchanged.
  std::vector<RecordedEvent> save(std::string_view aggregate_type, std::string_view aggregate_id,
                                  const std::vector<NewEvent>& events, ExpectedVersion version);

  // The same save inside the caller's transaction `tx`, which must be open on
  // this client's connection() (e.g. a pqxx::work, or the transaction a
  // subscription handler receives): the events commit or roll back with the
  // caller's own writes (the outbox pattern), and subscribers are woken by
  // a NOTIFY that PostgreSQL delivers at that commit, never after a rollback.
  // Same checks and idempotency as above; the version check holds until the
  // commit, as the aggregate stays locked until then. Saving first in the
  // transaction keeps the aggregate's log order (see docs/guarantees.md).
  // When a concurrent write records one of the event ids first, `tx` is
  // aborted and VersionConflict says to run the transaction again.
  std::vector<RecordedEvent> save(pqxx::transaction_base& tx, std::string_view aggregate_type,
                                  std::string_view aggregate_id, const std::vector<NewEvent>& events,
                                  ExpectedVersion version);

  // The aggregate's events in version order (or reversed), all of them unless
  // options narrow the range or set a limit.
  std::vector<RecordedEvent> load(std::string_view aggregate_type, std::string_view aggregate_id,
                                  const LoadOptions& options = {});

  // One page of the global log after options.after, in (tx_id, id) order. Only
  // events of transactions older than every running transaction are returned,
  // so paging on the last event's position() never skips a late commit.
  std::vector<RecordedEvent> read(const ReadOptions& options);

  // Aggregate helper: appends the aggregate's pending events at its version.
  void save(Aggregate& aggregate);
  // The same inside the caller's transaction (see save(tx, ...) above). The
  // aggregate counts its events saved at once: after a rollback, load() it.
  void save(pqxx::transaction_base& tx, Aggregate& aggregate);
  // Aggregate helper: rebuilds the aggregate from all its stored events,
  // dropping pending ones.
  void load(Aggregate& aggregate);

  // Runs the subscription `name` until `stop` is requested (finishing the
  // batch in hand), or until caught up when options.stop_when_caught_up.
  // Creates the subscription on first use. While another worker holds the
  // same subscription member, this one stands by and takes over when that
  // one stops or dies. Survives database restarts by reconnecting with
  // backoff. Throws HandlerFailed when the retry policy gives up, and
  // InvalidArgument when options contradict the stored subscription.
  // Uses this client's connection for the whole run.
  void subscribe(std::string_view name, const SubscriptionOptions& options, BatchHandler handler,
                 std::stop_token stop = {});

  std::vector<SubscriptionStatus> subscription_status();
  std::vector<HorizonHolder> horizon_holders();
  // Moves every member's checkpoint to the beginning, or to now. Throws
  // InvalidArgument when no such subscription exists.
  void reset_subscription(std::string_view name, StartFrom to);
  // Removes the subscription, its checkpoints and its dead letters.
  void delete_subscription(std::string_view name);

  // The id type the schema was set up with.
  AggregateIdType aggregate_id_type();

  // The underlying connection, for callers that want to run their own SQL
  // on the same session (e.g. in examples and tests). pqxx::connection (not
  // connection_base, which libpqxx 7 removes), so callers' code builds on both.
  pqxx::connection& connection();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meowmx

#endif  // MEOWMX_CLIENT_H_

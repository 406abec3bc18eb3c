// Subscriptions: named, checkpointed, batched readers of the event log.
//
// A worker reads at most batch_size events after its checkpoint, in
// (tx_id, id) order and only from transactions older than every running
// one, hands them to the handler inside a transaction, and commits the new
// checkpoint in that same transaction. So effects the handler writes to the
// same database happen exactly once; effects elsewhere (stdout, HTTP) happen
// at least once: a crash between the effect and the commit repeats the batch.
#ifndef MEOWMX_SUBSCRIPTION_H_
#define MEOWMX_SUBSCRIPTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/transaction>

#include "meowmx/event.h"

namespace meowmx {

enum class StartFrom {
  kBeginning,  // every event in the log
  kNow,        // only events of transactions that are still running or start later
};

// What happens when the handler keeps failing on an event.
enum class OnHandlerFailure {
  kStop,        // subscribe() throws HandlerFailed, the checkpoint stays before the event
  kDeadLetter,  // the event is parked in meowmx.dead_letters and delivery moves on
};

struct RetryPolicy {
  int max_attempts = 5;  // attempts per event, the first one included
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
  OnHandlerFailure on_failure = OnHandlerFailure::kStop;
};

// The shortest max_sleep a worker accepts: below it an idle worker would
// poll hundreds of times a second for nothing.
inline constexpr std::chrono::milliseconds kMinMaxSleep{10};

struct SubscriptionOptions {
  // Aggregate types to deliver; empty means all. Fixed when the subscription
  // is first created: later workers must ask for the same list.
  std::vector<std::string> categories;
  std::int64_t batch_size = 100;
  // Longest wait between polls when no notification comes: how late an event
  // of a writer that sends none (ClientOptions::notify off, hand-written
  // SQL) may be found. Each wait is 3/4 of it to all of it, at random, so
  // that workers started together do not poll at once. At least
  // kMinMaxSleep, else InvalidArgument.
  std::chrono::milliseconds max_sleep{5000};
  StartFrom start = StartFrom::kBeginning;  // only used when the subscription is created
  // Consumer groups: this worker takes the aggregates whose id hashes to
  // group_member out of group_size, with a checkpoint of its own.
  int group_member = 0;
  int group_size = 1;
  RetryPolicy retry;
  // Longest wait between reconnection attempts after the database went away.
  std::chrono::milliseconds max_reconnect_backoff{10000};
  // Return once no event is left to deliver, instead of waiting for more.
  bool stop_when_caught_up = false;
  // Commit each batch with the session's synchronous_commit. By default a
  // batch's commit does not wait for its WAL flush: a server crash may then
  // lose the last batches' checkpoints together with the handler's writes in
  // the same transaction, and they are delivered again (exactly-once for
  // those writes still holds, other effects are at-least-once anyway).
  bool durable_commits = false;
};

// Receives one batch and the transaction that will commit its checkpoint
// (while catching up, several batches may share one transaction). Throwing
// rolls the transaction back; the batch is retried according to the
// RetryPolicy, except after HandlerAborted, which stops the subscription at
// once. The transaction takes an id, and so holds back other readers, only
// from the handler's first write on.
using BatchHandler =
    std::function<void(const std::vector<RecordedEvent>& batch, pqxx::work& transaction)>;

// Adapts a per-event handler to a BatchHandler.
BatchHandler for_each_event(std::function<void(const RecordedEvent&, pqxx::work&)> handler);

// Where one subscription member stands (the meowmx.subscription_status view).
struct SubscriptionStatus {
  std::string name;
  int group_member = 0;
  int group_size = 1;
  std::vector<std::string> categories;
  std::string checkpoint;          // "tx_id:id"
  std::int64_t delivered = 0;
  // Committed events after the checkpoint: counted exactly up to 10,000,
  // estimated beyond (from global ids) with events_behind_exact false.
  std::int64_t events_behind = 0;
  bool events_behind_exact = true;
  double seconds_behind = 0;       // age of the next event to deliver
  std::int64_t held_back = 0;      // of those, events not yet deliverable (xmin horizon)
  bool held_back_exact = true;     // false: more than 10,000, not all counted
  std::int64_t dead_letters = 0;   // events parked for this member
  std::string worker;              // host/pid of the last worker that committed; "" for none
  bool worker_alive = false;
  std::string updated_at;
};

// The oldest running (or prepared) transaction with an id: the one that
// holds delivery back when `held_back` is not zero.
struct HorizonHolder {
  std::optional<int> pid;  // none for a prepared transaction
  std::string xid;
  double age_seconds = 0;
  std::string state;
  std::string database;  // where it runs: often not the subscriptions' database
  std::string user_name;
  std::string application_name;
  std::string query;     // the statement, literals masked as ?, at most 200 characters
};

}  // namespace meowmx

#endif  // MEOWMX_SUBSCRIPTION_H_

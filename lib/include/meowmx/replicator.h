// Replicator: pks of changed rows spread over consistent-hashed workers,
// batched, deduplicated, retried, and parked rather than dropped.
//
// It reads `table_action pk` changes from one input, routes each pk of a
// topic ("orders_update", or a pattern such as "orders_*") to one of the
// topic's workers by a stable hash (the same pk always goes to the same
// worker, across restarts and machines, so a pk's changes stay in order),
// and hands each worker's action one batch of distinct pks at a time:
//
//   meowmx::Replicator replicator({.input = meowmx::CaptureInput{
//       .source = meowmx::PostgresSource{.dsn = dsn, .tables = {"orders"}, .slot = "orders_repl"}}});
//   replicator.on("orders_*", {.workers = 4, .batch = 100}, [](const std::vector<std::string>& pks) {
//     std::vector<bool> succeeded(pks.size(), true);
//     ...  // refresh the cache entries of pks
//     return succeeded;
//   });
//   std::thread worker([&] { replicator.run(); });
//   ...
//   replicator.stop();
//   worker.join();
//
// Inputs and what survives a restart:
//   CaptureInput       a Pub run in-process (PostgreSQL logical decoding, ...): the stream
//                      is acknowledged only up to what every worker has finished, so a
//                      crash loses nothing (changes after it come again: at least once).
//   SubscriptionInput  a subscription of the event log (topic = event type, pk =
//                      aggregate id): a batch's checkpoint moves once all its pks are done.
//   ZmqInput           a ZeroMQ SUB socket reading meepo's `table_action pk` messages, as
//                      `pub --sink zmq` sends them: at most once across a restart (what
//                      was queued or sent meanwhile is lost).
#ifndef MEOWMX_REPLICATOR_H_
#define MEOWMX_REPLICATOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "meowmx/capture/pub.h"

namespace meowmx {

// How pks are spread over a topic's workers.
enum class PkHash {
  kJump,    // jump consistent hash of the 64-bit FNV-1a hash of the pk's text
  kKetama,  // libketama's MD5 continuum (meepo's ring), workers named "0", "1", ...
};

struct TopicOptions {
  int workers = 1;
  // Most distinct pks per action call.
  std::size_t batch = 100;
  // Entries a worker's queue holds. Past it, a pk already queued is folded
  // into one entry at its latest position, and a new pk waits for room,
  // which holds the input back.
  std::size_t queue_limit = 10000;
  // Attempts per pk, the first included; then the pk is parked.
  int max_attempts = 5;
  // The wait before the second attempt, doubling up to max_backoff.
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
  PkHash hash = PkHash::kJump;
};

// One call's work: distinct pks of a table in the order of their latest
// change. pks[i] is the key text of `table_action pk` (meowmx's pk_text: a
// single value bare, a composite key as a JSON array); events[i] the latest
// change's event name ("orders_delete"); positions[i] its place (capture:
// {"lsn": ..., "index": ...}; subscription: {"tx_id": ..., "id": ...}; zmq: "").
struct PkBatch {
  std::string topic;  // as registered with on()
  int worker = 0;
  std::vector<std::string> pks;
  std::vector<std::string> events;
  std::vector<std::string> positions;
};

// Returns, for each pk in order, whether it succeeded; a result of another
// length or a thrown exception fails the whole batch.
using PkAction = std::function<std::vector<bool>(const std::vector<std::string>& pks)>;
using PkBatchAction = std::function<std::vector<bool>(const PkBatch& batch)>;

struct CaptureInput {
  SourceOptions source;
  // As in PubOptions.
  std::chrono::milliseconds max_retry_wait{30000};
  std::size_t buffer_bytes = 64 << 20;
};

struct SubscriptionInput {
  std::string dsn;  // the event store
  std::string name;
  std::vector<std::string> categories;  // empty: all
  std::int64_t batch_size = 1000;       // events per checkpoint
  std::chrono::milliseconds max_sleep{1000};
};

struct ZmqInput {
  std::vector<std::string> connect;  // endpoints of PUB sockets or forwarders
};

using ReplicatorInput = std::variant<CaptureInput, SubscriptionInput, ZmqInput>;

struct ReplicatorOptions {
  ReplicatorInput input;
  // Where parked pks go. Empty: the durable inputs park in
  // meowmx.replicator_parked of their database (set up by `meowmx setup`,
  // migration 009); the zmq input needs a file.
  std::filesystem::path parked_file;
  // How often run() logs a status line per worker (info level); zero: never.
  std::chrono::milliseconds status_interval{10000};
};

// Counters of one worker since run() began.
struct WorkerStatus {
  std::string topic;  // as registered with on()
  int worker = 0;
  std::size_t queued = 0;     // pks waiting, retries included
  std::uint64_t done = 0;     // pks handled successfully
  std::uint64_t retried = 0;  // failed attempts that were retried
  std::uint64_t parked = 0;   // pks given up on and parked
  std::uint64_t folded = 0;   // occurrences folded into a later one
};

struct ReplicatorStatus {
  std::vector<WorkerStatus> workers;
  // What the input has acknowledged: the capture stream's position JSON, the
  // subscription's "tx_id:id" checkpoint, or "" (nothing yet, or zmq).
  std::string acknowledged;
};

class Replicator {
 public:
  // Checks the options (InvalidArgument); connects only in run().
  explicit Replicator(ReplicatorOptions options);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Before run(): the action for the changes whose event name matches
  // `topic` (fnmatch(3) pattern). A change matching several topics goes to
  // each. Throws InvalidArgument for bad options.
  void on(const std::string& topic, const TopicOptions& options, PkAction action);
  void on_batch(const std::string& topic, const TopicOptions& options, PkBatchAction action);

  // Runs until stop(), or until the input ends (a capture input with `once`);
  // once per Replicator (a restart is a new Replicator on the same input).
  // Throws what the input throws (see Pub::run, Client::subscribe),
  // ConnectionError when the parking table cannot be written, and
  // InvalidArgument when no topic was registered.
  void run();
  // From any thread: the input stops reading, the workers finish what was
  // read (retries included), the input acknowledges it, and run() returns.
  void stop();

  // From any thread.
  ReplicatorStatus status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meowmx

#endif  // MEOWMX_REPLICATOR_H_

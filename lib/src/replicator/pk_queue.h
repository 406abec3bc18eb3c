// PkQueue: one worker's pks waiting to be handled, in arrival order (not
// thread-safe; Worker guards it).
//
// - A batch is up to `batch` distinct pks from the front; each takes with it
//   every later occurrence of the same pk still queued (handling a pk covers
//   all its changes so far), and the batch is ordered by each pk's latest
//   occurrence.
// - Past `limit` entries a pk already waiting is folded: its occurrences
//   become one entry at the latest position. A new pk then has to wait for
//   room (has_room_for), so a queue never holds more than `limit` entries.
// - A pk that failed waits for its retry (hold) outside the queue; a change
//   of it arriving meanwhile joins the held entry, so its changes never
//   overtake one another.
#ifndef MEOWMX_SRC_REPLICATOR_PK_QUEUE_H_
#define MEOWMX_SRC_REPLICATOR_PK_QUEUE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace meowmx::internal {

using Clock = std::chrono::steady_clock;

// What an input acknowledges by: a transaction, a subscription batch; 0 for none.
using Token = std::uint64_t;

// The changes one entry stands for, by token, with how many of each.
struct TokenCounts {
  std::vector<std::pair<Token, std::size_t>> counts;

  void add(Token token, std::size_t n = 1);
  void merge(const TokenCounts& other);
};

// One table's pk: changes of the same row fold together whatever their
// action, the latest event name kept.
struct PkEntry {
  std::string key;    // the table's event stem and the pk, what folding goes by
  std::string event;  // of its latest change, "orders_update"
  std::string pk;
  std::string position;  // of its latest change, as the input gives it
  TokenCounts tokens;
  int attempts = 0;         // failed attempts so far
  std::string last_error;  // of the last failed attempt
  std::uint64_t arrival = 0;  // the queue's count when its latest change arrived
};

class PkQueue {
 public:
  explicit PkQueue(std::size_t limit);

  // Whether push() can take an entry of `key` now.
  bool has_room_for(const std::string& key) const;
  // Queues one change; `change` holds its key, event, pk and position.
  void push(PkEntry change, Token token);

  // Up to `batch` distinct pks: those due for a retry at `now` first, then
  // from the front of the queue.
  std::vector<PkEntry> take(std::size_t batch, Clock::time_point now);
  // Holds a failed entry until `due`, taking in the occurrences of its key
  // queued since it was taken.
  void hold(PkEntry entry, Clock::time_point due);

  // The earliest due retry.
  std::optional<Clock::time_point> next_due() const;
  // Entries queued plus pks held for a retry.
  std::size_t size() const { return queue_.size() + held_.size(); }
  bool empty() const { return size() == 0; }
  // Occurrences folded into a later one so far.
  std::uint64_t folded() const { return folded_; }

 private:
  struct Held {
    PkEntry entry;
    Clock::time_point due;
  };
  using Entries = std::list<PkEntry>;

  // Removes every queued occurrence of `key`, merged into `into`, which
  // takes the latest one's event and position.
  void absorb(const std::string& key, PkEntry& into);

  std::size_t limit_;
  Entries queue_;
  std::unordered_map<std::string, std::vector<Entries::iterator>> occurrences_;  // oldest first
  std::unordered_map<std::string, Held> held_;
  std::uint64_t folded_ = 0;
  std::uint64_t arrivals_ = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_PK_QUEUE_H_

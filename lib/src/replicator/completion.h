// Completion: counts the pks each token (a transaction, a subscription
// batch) still owes, so an input acknowledges a token only once every worker
// has finished every pk of it, in whatever order they finish.
#ifndef MEOWMX_SRC_REPLICATOR_COMPLETION_H_
#define MEOWMX_SRC_REPLICATOR_COMPLETION_H_

#include <functional>
#include <mutex>
#include <unordered_map>

#include "replicator/pk_queue.h"

namespace meowmx::internal {

class Completion {
 public:
  // `on_done` runs, on a worker's thread, for each sealed token whose pks are all done.
  explicit Completion(std::function<void(Token)> on_done) : on_done_(std::move(on_done)) {}

  // One more pk of `token` was queued (token 0: nothing to count).
  void add(Token token);
  // No more pks of `token` come. True when none is outstanding (then
  // on_done is not called for it); false when on_done will be.
  bool seal(Token token);
  // The token will never be acknowledged (its transaction was cut off):
  // forgotten once its pks are done.
  void abandon(Token token);
  // Workers finished these pks.
  void release(const TokenCounts& tokens);

 private:
  struct Count {
    std::size_t outstanding = 0;
    bool sealed = false;
    bool abandoned = false;
  };
  std::function<void(Token)> on_done_;
  std::mutex mutex_;
  std::unordered_map<Token, Count> counts_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_COMPLETION_H_

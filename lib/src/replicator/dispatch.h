// Dispatch: what an input feeds. Each change goes to every topic whose
// pattern matches its event name. Changes gather per worker and reach the
// queues in bulk at flush() (the end of a transaction or a batch, or every
// kFlushChanges), counted against their tokens first, so a worker is woken
// once per bulk rather than once per change.
#ifndef MEOWMX_SRC_REPLICATOR_DISPATCH_H_
#define MEOWMX_SRC_REPLICATOR_DISPATCH_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "replicator/completion.h"
#include "replicator/topic_workers.h"

namespace meowmx::internal {

// The stem of an event name: "orders" of "orders_update" (the name itself
// when it has no action suffix).
std::string_view event_stem(std::string_view event);

class Dispatch {
 public:
  Dispatch(std::vector<std::unique_ptr<TopicWorkers>>& topics, Completion& completion)
      : topics_(topics), completion_(completion) {}

  // Any thread.
  bool wants(std::string_view event);
  // From the input's thread. May flush, which waits while a worker's queue
  // is full; throws Error once the workers were aborted.
  void route(const std::string& event, const std::string& pk, const std::string& position, Token token);
  void flush();
  Completion& completion() { return completion_; }

 private:
  static constexpr std::size_t kFlushChanges = 256;

  const std::vector<TopicWorkers*>& topics_of(std::string_view event);

  std::vector<std::unique_ptr<TopicWorkers>>& topics_;
  Completion& completion_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<TopicWorkers*>> matching_;  // by event name
  std::map<TopicWorkers*, std::vector<TopicWorkers::Change>> pending_;
  std::size_t pending_changes_ = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_DISPATCH_H_

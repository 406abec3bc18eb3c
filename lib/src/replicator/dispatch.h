// Dispatch: what an input feeds. Each change goes to every topic whose
// pattern matches its event name, counted against the input's token first.
#ifndef MEOWMX_SRC_REPLICATOR_DISPATCH_H_
#define MEOWMX_SRC_REPLICATOR_DISPATCH_H_

#include <memory>
#include <string>
#include <string_view>
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

  bool wants(std::string_view event) const;
  // Waits while a worker's queue is full; throws Error once the workers were aborted.
  void route(const std::string& event, const std::string& pk, const std::string& position, Token token);
  Completion& completion() { return completion_; }

 private:
  std::vector<std::unique_ptr<TopicWorkers>>& topics_;
  Completion& completion_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_DISPATCH_H_

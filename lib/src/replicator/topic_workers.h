// TopicWorkers: the N workers of one topic, each a thread with its own
// PkQueue, handling one batch at a time: retried with exponential backoff,
// parked after the last attempt, released to the Completion either way.
#ifndef MEOWMX_SRC_REPLICATOR_TOPIC_WORKERS_H_
#define MEOWMX_SRC_REPLICATOR_TOPIC_WORKERS_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/replicator.h"
#include "replicator/completion.h"
#include "replicator/parking.h"
#include "replicator/pk_queue.h"
#include "replicator/routing.h"

namespace meowmx::internal {

// What the workers of every topic share while they run.
struct WorkerServices {
  Completion& completion;
  Parking& parking;
  // A worker could not go on (parking failed): the replicator stops with it.
  std::function<void(std::exception_ptr)> fail;
};

class TopicWorkers {
 public:
  // Throws InvalidArgument for bad options.
  TopicWorkers(std::string topic, const TopicOptions& options, PkBatchAction action);
  ~TopicWorkers();

  const std::string& topic() const { return topic_; }
  // Whether the event name matches the topic's pattern.
  bool matches(std::string_view event) const;

  struct Change {
    PkEntry entry;
    Token token = 0;
  };

  void start(WorkerServices& services);
  // Queues each change on its pk's worker, in order, waiting while that
  // queue is full, and leaves `changes` moved from. False when the workers
  // were aborted.
  bool push(std::vector<Change>& changes);
  // Waits until every worker has handled all it holds (retries included),
  // then stops them.
  void finish();
  // Stops the workers after the batches in hand, leaving the rest.
  void abort();

  std::vector<WorkerStatus> status() const;

 private:
  struct Worker;
  void work(Worker& worker);
  std::chrono::milliseconds backoff(int failed_attempts) const;

  std::string topic_;
  TopicOptions options_;
  PkBatchAction action_;
  Router router_;
  WorkerServices* services_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_TOPIC_WORKERS_H_

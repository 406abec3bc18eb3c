#include "replicator/topic_workers.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {

struct TopicWorkers::Worker {
  Worker(int index_, std::size_t queue_limit) : index(index_), queue(queue_limit) {}

  const int index;
  mutable std::mutex mutex;
  std::condition_variable work_arrived;  // for the worker
  std::condition_variable room;          // for the input waiting to push
  PkQueue queue;
  bool finishing = false;
  bool aborted = false;
  std::uint64_t done = 0;
  std::uint64_t retried = 0;
  std::uint64_t parked = 0;
  std::thread thread;
};

namespace {

constexpr int kMaxBackoffDoublings = 30;

struct Outcome {
  std::vector<bool> succeeded;
  std::string error;  // for the pks that failed
};

Outcome run_action(const PkBatchAction& action, const PkBatch& batch) {
  try {
    std::vector<bool> succeeded = action(batch);
    if (succeeded.size() == batch.pks.size()) return {std::move(succeeded), "the action reported a failure"};
    return {std::vector<bool>(batch.pks.size(), false),
            "the action returned " + std::to_string(succeeded.size()) + " results for " +
                std::to_string(batch.pks.size()) + " pks"};
  } catch (const std::exception& e) {
    return {std::vector<bool>(batch.pks.size(), false), e.what()};
  } catch (...) {
    return {std::vector<bool>(batch.pks.size(), false), "the action threw an unknown exception"};
  }
}

}  // namespace

TopicWorkers::TopicWorkers(std::string topic, const TopicOptions& options, PkBatchAction action)
    : topic_(std::move(topic)), options_(options), action_(std::move(action)), router_(options.hash, options.workers) {
  if (topic_.empty()) throw InvalidArgument("a topic must not be empty");
  if (!action_) throw InvalidArgument("topic " + topic_ + ": no action");
  if (options.batch == 0) throw InvalidArgument("topic " + topic_ + ": the batch size must be positive");
  if (options.max_attempts < 1) throw InvalidArgument("topic " + topic_ + ": max_attempts must be at least 1");
  if (options.initial_backoff.count() < 0 || options.max_backoff < options.initial_backoff) {
    throw InvalidArgument("topic " + topic_ + ": the backoff must satisfy 0 <= initial <= max");
  }
  for (int i = 0; i < options.workers; ++i) workers_.push_back(std::make_unique<Worker>(i, options.queue_limit));
}

TopicWorkers::~TopicWorkers() { abort(); }

bool TopicWorkers::matches(std::string_view event) const {
  return fnmatch(topic_.c_str(), std::string(event).c_str(), 0) == 0;
}

void TopicWorkers::start(WorkerServices& services) {
  services_ = &services;
  for (auto& worker : workers_) worker->thread = std::thread([this, &worker = *worker] { work(worker); });
}

bool TopicWorkers::push(std::vector<Change>& changes) {
  std::vector<std::vector<Change*>> by_worker(workers_.size());
  for (auto& change : changes) {
    by_worker[static_cast<std::size_t>(router_.worker_of(change.entry.pk))].push_back(&change);
  }
  for (std::size_t index = 0; index < workers_.size(); ++index) {
    if (by_worker[index].empty()) continue;
    Worker& worker = *workers_[index];
    std::unique_lock lock(worker.mutex);
    for (Change* change : by_worker[index]) {
      if (!worker.queue.has_room_for(change->entry.key)) {
        worker.work_arrived.notify_one();
        worker.room.wait(lock, [&] { return worker.aborted || worker.queue.has_room_for(change->entry.key); });
      }
      if (worker.aborted) return false;
      worker.queue.push(std::move(change->entry), change->token);
    }
    worker.work_arrived.notify_one();
  }
  return true;
}

void TopicWorkers::finish() {
  for (auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    worker->finishing = true;
    worker->work_arrived.notify_one();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void TopicWorkers::abort() {
  for (auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    worker->aborted = true;
    worker->work_arrived.notify_one();
    worker->room.notify_all();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

std::chrono::milliseconds TopicWorkers::backoff(int failed_attempts) const {
  const int doublings = std::min(failed_attempts - 1, kMaxBackoffDoublings);
  const auto wait = options_.initial_backoff * (std::int64_t{1} << doublings);
  return std::min(wait, options_.max_backoff);
}

void TopicWorkers::work(Worker& worker) {
  for (;;) {
    std::vector<PkEntry> entries;
    {
      std::unique_lock lock(worker.mutex);
      for (;;) {
        if (worker.aborted) return;
        entries = worker.queue.take(options_.batch, Clock::now());
        if (!entries.empty()) break;
        if (worker.finishing && worker.queue.empty()) return;
        if (const auto due = worker.queue.next_due()) {
          worker.work_arrived.wait_until(lock, *due);
        } else {
          worker.work_arrived.wait(lock);
        }
      }
      worker.room.notify_all();
    }
    PkBatch batch{.topic = topic_, .worker = worker.index, .pks = {}, .events = {}, .positions = {}};
    for (const auto& entry : entries) {
      batch.pks.push_back(entry.pk);
      batch.events.push_back(entry.event);
      batch.positions.push_back(entry.position);
    }
    const Outcome outcome = run_action(action_, batch);
    try {
      for (std::size_t i = 0; i < entries.size(); ++i) {
        PkEntry& entry = entries[i];
        if (outcome.succeeded[i]) {
          std::lock_guard lock(worker.mutex);
          ++worker.done;
        } else if (++entry.attempts >= options_.max_attempts) {
          entry.last_error = outcome.error;
          logger().warn("replicator: {} {} parked after {} attempts: {}", entry.event, entry.pk, entry.attempts,
                        outcome.error);
          services_->parking.park(topic_, entry);
          std::lock_guard lock(worker.mutex);
          ++worker.parked;
        } else {
          entry.last_error = outcome.error;
          logger().debug("replicator: {} {} failed (attempt {}), retrying: {}", entry.event, entry.pk, entry.attempts,
                         outcome.error);
          const auto due = Clock::now() + backoff(entry.attempts);
          std::lock_guard lock(worker.mutex);
          ++worker.retried;
          worker.queue.hold(std::move(entry), due);
          continue;
        }
        services_->completion.release(entry.tokens);
      }
    } catch (...) {
      services_->fail(std::current_exception());
      return;
    }
  }
}

std::vector<WorkerStatus> TopicWorkers::status() const {
  std::vector<WorkerStatus> status;
  for (const auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    status.push_back({.topic = topic_,
                      .worker = worker->index,
                      .queued = worker->queue.size(),
                      .done = worker->done,
                      .retried = worker->retried,
                      .parked = worker->parked,
                      .folded = worker->queue.folded()});
  }
  return status;
}

}  // namespace meowmx::internal

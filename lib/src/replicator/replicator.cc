#include "meowmx/replicator.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/logger.h"
#include "meowmx/error.h"
#include "replicator/completion.h"
#include "replicator/dispatch.h"
#include "replicator/input.h"
#include "replicator/topic_workers.h"

namespace meowmx {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

std::unique_ptr<internal::Input> make_input(const ReplicatorInput& input) {
  return std::visit(Overloaded{[](const CaptureInput& options) { return internal::make_capture_input(options); },
                               [](const SubscriptionInput& options) { return internal::make_subscription_input(options); },
                               [](const ZmqInput& options) { return internal::make_zmq_input(options); }},
                    input);
}

}  // namespace

struct Replicator::Impl {
  ReplicatorOptions options;
  std::unique_ptr<internal::Input> input;
  std::vector<std::unique_ptr<internal::TopicWorkers>> topics;

  std::mutex mutex;
  std::condition_variable stopped;  // wakes the status logger
  bool running = false;
  bool ran = false;
  std::exception_ptr failure;

  void fail(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex);
      if (!failure) failure = error;
    }
    input->fail(error);
  }

  // The periodic status line, until run() ends.
  void log_status(const Replicator& replicator) {
    std::unique_lock lock(mutex);
    while (running) {
      stopped.wait_for(lock, options.status_interval);
      if (!running) return;
      lock.unlock();
      const ReplicatorStatus status = replicator.status();
      for (const WorkerStatus& worker : status.workers) {
        internal::logger().info("replicator: {} worker {}: queued {}, done {}, retried {}, parked {}, folded {}",
                                worker.topic, worker.worker, worker.queued, worker.done, worker.retried, worker.parked,
                                worker.folded);
      }
      internal::logger().info("replicator: acknowledged {}", status.acknowledged.empty() ? "nothing yet" : status.acknowledged);
      lock.lock();
    }
  }
};

Replicator::Replicator(ReplicatorOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.status_interval.count() < 0) throw InvalidArgument("status_interval must not be negative");
  impl_->input = make_input(options.input);
  impl_->options = std::move(options);
}

Replicator::~Replicator() = default;

void Replicator::on(const std::string& topic, const TopicOptions& options, PkAction action) {
  if (!action) throw InvalidArgument("topic " + topic + ": no action");
  on_batch(topic, options, [action = std::move(action)](const PkBatch& batch) { return action(batch.pks); });
}

void Replicator::on_batch(const std::string& topic, const TopicOptions& options, PkBatchAction action) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->running) throw InvalidArgument("topics are registered before run()");
  impl_->topics.push_back(std::make_unique<internal::TopicWorkers>(topic, options, std::move(action)));
}

void Replicator::run() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->topics.empty()) throw InvalidArgument("the replicator has no topic");
    if (impl_->running || impl_->ran) throw InvalidArgument("a replicator runs once");
  }
  const auto parking = impl_->options.parked_file.empty()
                           ? impl_->input->default_parking()
                           : internal::make_file_parking(impl_->options.parked_file, impl_->input->name());
  internal::Completion completion([this](internal::Token token) { impl_->input->done(token); });
  internal::WorkerServices services{.completion = completion,
                                    .parking = *parking,
                                    .fail = [this](std::exception_ptr error) { impl_->fail(error); }};
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = true;
    impl_->ran = true;
  }
  for (auto& topic : impl_->topics) topic->start(services);
  std::thread status_logger;
  if (impl_->options.status_interval.count() > 0) status_logger = std::thread([this] { impl_->log_status(*this); });

  std::exception_ptr error;
  internal::Dispatch dispatch(impl_->topics, completion);
  try {
    impl_->input->run(dispatch);
  } catch (...) {
    error = std::current_exception();
  }
  // Done reading: what is queued is finished (the input has stopped, so an
  // acknowledgement owed now only moves the status), unless that failed.
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->failure) error = impl_->failure;
  }
  for (auto& topic : impl_->topics) {
    if (error) {
      topic->abort();
    } else {
      topic->finish();
    }
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->running = false;
    if (impl_->failure) error = impl_->failure;
  }
  impl_->stopped.notify_all();
  if (status_logger.joinable()) status_logger.join();
  if (error) std::rethrow_exception(error);
}

void Replicator::stop() { impl_->input->stop(); }

ReplicatorStatus Replicator::status() const {
  ReplicatorStatus status;
  for (const auto& topic : impl_->topics) {
    for (auto& worker : topic->status()) status.workers.push_back(std::move(worker));
  }
  status.acknowledged = impl_->input->acknowledged();
  return status;
}

}  // namespace meowmx

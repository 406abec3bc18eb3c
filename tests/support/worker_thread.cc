#include "support/worker_thread.h"

#include <catch2/catch.hpp>

#include <utility>

#include "support/events.h"

namespace meowmx::testing {

WorkerThread::WorkerThread(const std::string& dsn, const std::string& name, SubscriptionOptions options,
                           BatchHandler handler, const std::string& application_name)
    : client_(connect(dsn, application_name)) {
  thread_ = std::jthread([this, name, options, handler](std::stop_token stop) {
    try {
      client_.subscribe(name, options, handler, stop);
    } catch (...) {
      error_ = std::current_exception();
    }
    finished_ = true;
  });
}

void WorkerThread::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void WorkerThread::check_running() const {
  if (finished_ && error_) std::rethrow_exception(error_);
  REQUIRE_FALSE(finished_);
}

}  // namespace meowmx::testing

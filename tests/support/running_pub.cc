#include "support/running_pub.h"

#include <utility>

namespace meowmx::testing {

RunningPub::RunningPub(PubOptions options, std::vector<std::unique_ptr<Sink>> sinks, SignalBus& bus)
    : pub_(std::move(options), bus) {
  for (auto& sink : sinks) pub_.add_sink(std::move(sink));
  thread_ = std::thread([this] {
    try {
      pub_.run();
    } catch (...) {
      error_ = std::current_exception();
    }
    finished_ = true;
  });
}

RunningPub::~RunningPub() {
  pub_.stop();
  if (thread_.joinable()) thread_.join();
}

void RunningPub::stop() {
  pub_.stop();
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void RunningPub::rethrow_if_failed() const {
  if (finished_ && error_) std::rethrow_exception(error_);
}

}  // namespace meowmx::testing

// RunningPub: a Pub on a thread of its own, as a service runs one, for tests
// that write while it captures. Stopped and joined when destroyed.
#ifndef MEOWMX_TESTS_SUPPORT_RUNNING_PUB_H_
#define MEOWMX_TESTS_SUPPORT_RUNNING_PUB_H_

#include <atomic>
#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "meowmx/capture/pub.h"

namespace meowmx::testing {

class RunningPub {
 public:
  // Adds the sinks, then runs the pub, with `bus` for its signals.
  RunningPub(PubOptions options, std::vector<std::unique_ptr<Sink>> sinks, SignalBus& bus);
  ~RunningPub();
  RunningPub(const RunningPub&) = delete;
  RunningPub& operator=(const RunningPub&) = delete;

  // Whether run() has returned (or thrown).
  bool finished() const { return finished_; }
  // Stops the pub, waits for it, and rethrows what run() threw.
  void stop();
  // Rethrows what run() threw once it has; for the conditions a test awaits,
  // so a pub that gave up fails the test with its reason.
  void rethrow_if_failed() const;

 private:
  Pub pub_;
  std::exception_ptr error_;
  std::atomic<bool> finished_{false};
  std::thread thread_;  // last: started once the rest exists
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_RUNNING_PUB_H_

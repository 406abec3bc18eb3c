// Client::subscribe() on a thread of its own, for tests that write while a
// worker runs, stop it, or check it is still alive.
#ifndef MEOWMX_TESTS_SUPPORT_WORKER_THREAD_H_
#define MEOWMX_TESTS_SUPPORT_WORKER_THREAD_H_

#include <atomic>
#include <exception>
#include <string>
#include <thread>

#include "meowmx/client.h"
#include "meowmx/subscription.h"

namespace meowmx::testing {

class WorkerThread {
 public:
  // Runs subscription `name` with its own Client on `dsn` until stop() (or
  // until caught up when the options say so).
  WorkerThread(const std::string& dsn, const std::string& name, SubscriptionOptions options,
               BatchHandler handler, const std::string& application_name = "meowmx");
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Asks the worker to stop, waits for it, and rethrows what it threw.
  void stop();
  // Fails the test if the worker has ended (rethrowing its error, if any).
  void check_running() const;

 private:
  Client client_;
  std::exception_ptr error_;
  std::atomic<bool> finished_{false};
  std::jthread thread_;  // last: stopped and joined before the rest is destroyed
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_WORKER_THREAD_H_

#include "stop_signal.h"

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace meowmx::cli {
namespace {

std::atomic<bool> stop_flag{false};
std::mutex stop_mutex;
std::condition_variable stop_cv;

// A dedicated thread waits for the signals synchronously, so the wake-up uses
// an ordinary condition variable instead of code restricted to signal handlers.
void watch_signals(sigset_t signals) {
  int received = 0;
  sigwait(&signals, &received);
  {
    std::lock_guard lock(stop_mutex);
    stop_flag = true;
  }
  stop_cv.notify_all();
}

}  // namespace

void install_stop_signal_handlers() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(watch_signals, signals).detach();
}

bool stop_requested() { return stop_flag; }

bool wait_for_stop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(stop_mutex);
  return stop_cv.wait_for(lock, timeout, [] { return stop_flag.load(); });
}

}  // namespace meowmx::cli

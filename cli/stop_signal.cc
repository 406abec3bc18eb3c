#include "stop_signal.h"

#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace meowmx::cli {
namespace {

std::stop_source& stop_source() {
  static std::stop_source source;
  return source;
}

// A dedicated thread takes the signals synchronously, so the stop request
// runs as ordinary code rather than inside a signal handler.
void watch_signals(sigset_t signals) {
  int received = 0;
  sigwait(&signals, &received);
  stop_source().request_stop();
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

std::stop_token stop_token() { return stop_source().get_token(); }

bool stop_requested() { return stop_source().stop_requested(); }

bool wait_for_stop(std::chrono::milliseconds timeout) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  cv.wait_for(lock, stop_token(), timeout, [] { return false; });
  return stop_requested();
}

}  // namespace meowmx::cli

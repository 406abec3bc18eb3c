#include "stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <pqxx/connection_base>

#include "common/waker.h"
#include "meowmx/error.h"

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

std::optional<std::string> read_stdin_unless_stopped() {
  internal::Waker stopped;
  const std::stop_callback wake_on_stop(stop_token(), [&stopped] { stopped.wake(); });
  std::string input;
  char buffer[1 << 16];
  for (;;) {
    if (!internal::wait_for_socket(STDIN_FILENO, {&stopped}, std::chrono::hours(1))) {
      if (stopped.woken()) return std::nullopt;
      continue;
    }
    const ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
    if (n == 0) return input;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw Error(std::string("cannot read stdin: ") + std::strerror(errno));
    }
    input.append(buffer, static_cast<std::size_t>(n));
  }
}

// PQcancel, which cancel_query() calls, is meant to be called from another
// thread than the one waiting for the statement.
CancelOnStop::CancelOnStop(pqxx::connection_base& connection)
    : callback_(stop_token(), [&connection] { connection.cancel_query(); }) {}

}  // namespace meowmx::cli

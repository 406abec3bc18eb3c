// Stop signal: SIGINT and SIGTERM ask long-running commands (read --follow,
// sub, pub) to finish what they hold and exit 0, and make commands that wait
// (save --stdin reading, setup waiting for the migration lock) give up at
// once, having written nothing, with exit 1.
#ifndef MEOWMX_CLI_STOP_SIGNAL_H_
#define MEOWMX_CLI_STOP_SIGNAL_H_

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

namespace pqxx {
class connection_base;
}

namespace meowmx::cli {

void install_stop_signal_handlers();
// Requested once SIGINT or SIGTERM arrived.
std::stop_token stop_token();
bool stop_requested();
// Sleeps up to `timeout`, returning early (true) when a stop is requested.
bool wait_for_stop(std::chrono::milliseconds timeout);

// All of stdin; nullopt when a stop is requested before its end.
std::optional<std::string> read_stdin_unless_stopped();

// While alive, a stop request cancels the statement running on the
// connection: it fails, and its transaction rolls back.
class CancelOnStop {
 public:
  explicit CancelOnStop(pqxx::connection_base& connection);
  CancelOnStop(const CancelOnStop&) = delete;
  CancelOnStop& operator=(const CancelOnStop&) = delete;

 private:
  std::stop_callback<std::function<void()>> callback_;
};

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_STOP_SIGNAL_H_

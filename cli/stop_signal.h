// Stop signal: SIGINT and SIGTERM ask long-running commands (read --follow,
// sub, pub) to finish what they hold and exit 0.
#ifndef MEOWMX_CLI_STOP_SIGNAL_H_
#define MEOWMX_CLI_STOP_SIGNAL_H_

#include <chrono>
#include <stop_token>

namespace meowmx::cli {

void install_stop_signal_handlers();
// Requested once SIGINT or SIGTERM arrived.
std::stop_token stop_token();
bool stop_requested();
// Sleeps up to `timeout`, returning early (true) when a stop is requested.
bool wait_for_stop(std::chrono::milliseconds timeout);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_STOP_SIGNAL_H_

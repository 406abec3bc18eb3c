// The CLI's commands: each registers its subcommand and the code it runs.
#ifndef MEOWMX_CLI_COMMAND_H_
#define MEOWMX_CLI_COMMAND_H_

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace meowmx::cli {

// Options shared by every command.
struct GlobalOptions {
  std::string dsn;        // --dsn, else MEOWMX_DSN, else the dev cluster
  std::string log_level = "warn";
};

// What a parsed subcommand runs; returns the process exit code.
using CommandAction = std::function<int()>;

// Each adds its subcommand(s) to `app`, and sets `action` when one is chosen.
void add_setup_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_save_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_load_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_read_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);
void add_dev_db_command(CLI::App& app, CommandAction& action);
// Subscriptions: sub, status, sub-reset, sub-delete.
void add_subscription_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action);
// Change capture: pub, pub-status, pub-drop.
void add_pub_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action);
// The Redis event store: redis-store add|replay|query|clear, and redis-recover.
void add_redis_store_command(CLI::App& app, CommandAction& action);
void add_redis_recover_command(CLI::App& app, const GlobalOptions& global, CommandAction& action);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_COMMAND_H_

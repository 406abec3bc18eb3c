// meowmx: the command line of the event store. See README.md for the reference.
#include <cstdio>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command.h"
#include "meowmx/error.h"
#include "stop_signal.h"

namespace {

constexpr int kExitBadInput = 2;

void report(const std::string& message) { std::cerr << "meowmx: error: " << message << std::endl; }

}  // namespace

int main(int argc, char** argv) {
  using namespace meowmx::cli;
  spdlog::set_default_logger(spdlog::stderr_color_mt("meowmx"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"meowmx: a PostgreSQL event log with subscriptions and change capture"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(1);
  // Global options may also follow the command: `meowmx load T ID --dsn ...`.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--dsn", global.dsn,
                 "PostgreSQL connection string or URI (default: $MEOWMX_DSN, else the dev-db cluster)");
  app.add_option("--log-level", global.log_level, "Log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  CommandAction action;
  add_setup_command(app, global, action);
  add_save_command(app, global, action);
  add_load_command(app, global, action);
  add_read_command(app, global, action);
  add_subscription_commands(app, global, action);
  add_dev_db_command(app, action);
  add_pub_commands(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all
    report(std::string(e.what()) + " (see --help)");
    return kExitBadInput;
  }
  spdlog::set_level(spdlog::level::from_str(global.log_level));
  install_stop_signal_handlers();
  try {
    return action();
  } catch (const meowmx::Error& e) {
    report(e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    report(e.what());
    return 1;
  }
}

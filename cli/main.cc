// meowmx: the command line of the event store. See README.md for the reference.
#include <cstdio>
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "command.h"
#include "help.h"
#include "meowmx/error.h"
#include "replicate/command.h"
#include "stop_signal.h"
#include "version.h"

namespace {

constexpr int kExitBadInput = 2;

void report(const std::string& message) { std::cerr << "meowmx: error: " << message << std::endl; }

// At most a short prefix of what the user typed, on one line.
std::string quoted_prefix(std::string text) {
  constexpr std::size_t kLongest = 40;
  if (const auto newline = text.find('\n'); newline != std::string::npos) text = text.substr(0, newline) + "...";
  if (text.size() > kLongest) text = text.substr(0, kLongest) + "...";
  return "'" + text + "'";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meowmx::cli;
  spdlog::set_default_logger(spdlog::stderr_color_mt("meowmx"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  // Named here, so usage lines say `meowmx`, not the path it was started by.
  CLI::App app{"meowmx: a PostgreSQL event log with subscriptions and change capture", "meowmx"};
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.require_subcommand(0, 1);  // none only with --version
  // Global options may also follow the command: `meowmx load T ID --dsn ...`.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--dsn", global.dsn,
                 "PostgreSQL connection string or URI (default: $MEOWMX_DSN, else the dev-db cluster)");
  app.add_option("--log-level", global.log_level, "Log level on stderr")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  bool version = false;
  app.add_flag("--version", version, "Print the versions of meowmx, libpq and the server, and exit");
  set_examples(&app, {"meowmx setup", "meowmx --dsn postgresql://app@db.example.com/app status",
                      "meowmx sub --help"});

  CommandAction action;
  add_setup_command(app, global, action);
  add_save_command(app, global, action);
  add_load_command(app, global, action);
  add_read_command(app, global, action);
  add_subscription_commands(app, global, action);
  add_dev_db_command(app, action);
  add_pub_commands(app, global, action);
  add_redis_store_command(app, action);
  add_redis_recover_command(app, global, action);
  add_replicate_commands(app, global, action);
  add_common_help(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all
    // A word where the command belongs that is no command: name it.
    const auto extras = app.remaining();
    if (app.get_subcommands().empty() && !extras.empty() && extras.front().rfind('-', 0) != 0) {
      report("unknown command " + quoted_prefix(extras.front()) + " (see --help for the commands)");
    } else {
      report(std::string(e.what()) + " (see --help)");
    }
    return kExitBadInput;
  }
  spdlog::set_level(spdlog::level::from_str(global.log_level));
  if (version) return print_version(global);
  if (!action) {
    report("a command is required (see --help)");
    return kExitBadInput;
  }
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

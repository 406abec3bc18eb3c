#include "help.h"

namespace meowmx::cli {
namespace {

constexpr const char* kCommonHelp =
    "Global options go before the command: meowmx [--dsn DSN] [--log-level LEVEL] COMMAND ...\n"
    "  --dsn DSN          libpq connection string or URI; default $MEOWMX_DSN, else libpq's PG*\n"
    "                     environment (PGHOST, PGSERVICE, ... with .pgpass), else the dev cluster\n"
    "                     in ./.meowmx/pg\n"
    "  --log-level LEVEL  trace, debug, info, warn (default), error or off; logs go to stderr\n"
    "Exit codes: 0 ok, 1 other error, 2 bad input, 3 conflict, 4 cannot connect\n";

void append_common_help(CLI::App* command) {
  const std::string footer = command->get_footer();
  command->footer(footer.empty() ? kCommonHelp : footer + "\n" + kCommonHelp);
  for (CLI::App* sub : command->get_subcommands({})) append_common_help(sub);
}

}  // namespace

void set_examples(CLI::App* command, const std::vector<std::string>& examples) {
  std::string text = "Examples:\n";
  for (const auto& example : examples) text += "  " + example + "\n";
  command->footer(text);
}

void add_common_help(CLI::App& app) { append_common_help(&app); }

}  // namespace meowmx::cli

// Help texts: every command's --help ends with its examples, the global
// options and the exit codes, in the same words everywhere.
#ifndef MEOWMX_CLI_HELP_H_
#define MEOWMX_CLI_HELP_H_

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace meowmx::cli {

// Sets `command`'s examples: each a command line as a user types it.
void set_examples(CLI::App* command, const std::vector<std::string>& examples);

// Appends the global options and the exit codes to the help of `app` and of
// every command under it; call once, after every command is added.
void add_common_help(CLI::App& app);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_HELP_H_

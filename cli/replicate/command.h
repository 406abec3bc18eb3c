// meowmx replicate and replicate-status: the Replicator from the command line.
#ifndef MEOWMX_CLI_REPLICATE_COMMAND_H_
#define MEOWMX_CLI_REPLICATE_COMMAND_H_

#include "command.h"

namespace meowmx::cli {

void add_replicate_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_REPLICATE_COMMAND_H_

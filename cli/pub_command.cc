#include "command.h"

namespace meowmx::cli {

void add_pub_commands(CLI::App&, const GlobalOptions&, CommandAction&) {}

}  // namespace meowmx::cli

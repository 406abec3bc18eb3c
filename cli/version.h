// `meowmx --version`: what is running and what it talks to.
#ifndef MEOWMX_CLI_VERSION_H_
#define MEOWMX_CLI_VERSION_H_

#include "command.h"

namespace meowmx::cli {

// Prints meowmx's version and git revision, libpq's version, and the server's
// version and address when a database is configured and answers; exits 0 even
// when it does not (saying why).
int print_version(const GlobalOptions& global);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_VERSION_H_

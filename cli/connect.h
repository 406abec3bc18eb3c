// Connecting the CLI: which DSN to use, and a ready Client for it.
#ifndef MEOWMX_CLI_CONNECT_H_
#define MEOWMX_CLI_CONNECT_H_

#include <string>

#include "command.h"
#include "meowmx/client.h"

namespace meowmx::cli {

// Where the dev cluster lives unless --dir says otherwise.
inline constexpr const char* kDefaultDevDir = ".meowmx/pg";

// --dsn, else $MEOWMX_DSN, else libpq's environment when a PG* variable names
// a server or service (the empty DSN: libpq reads PG*, service files, .pgpass),
// else the running dev cluster in ./.meowmx/pg; throws ConnectionError naming
// them when none is there.
std::string resolve_dsn(const GlobalOptions& global);

Client connect(const GlobalOptions& global);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_CONNECT_H_

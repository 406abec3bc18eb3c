// --exec CMD: a replicator action that runs a shell command per batch.
#ifndef MEOWMX_CLI_REPLICATE_EXEC_ACTION_H_
#define MEOWMX_CLI_REPLICATE_EXEC_ACTION_H_

#include <string>

#include "meowmx/replicator.h"

namespace meowmx::cli {

// Runs `/bin/sh -c command` once per batch with one JSON line per pk on its
// stdin ({"topic", "event", "pk", "position", "worker"}). Exit status 0: every
// pk succeeded, except those in a JSON array of pk texts on the last line
// of its output that is one; any other status: the whole batch failed.
PkBatchAction make_exec_action(const std::string& command);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_REPLICATE_EXEC_ACTION_H_

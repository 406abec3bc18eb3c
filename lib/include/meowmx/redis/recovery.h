// Recovery of prepare-commit sessions (see prepare_commit.h): what writers
// prepared but never finished, settled by asking PostgreSQL what became of
// each transaction (pg_xact_status):
//   committed    the changes are published now (store adds, and signals when
//                the options give a bus), the session marked "recovered";
//   aborted      the session is dropped (marked "dropped"): nothing reaches the store;
//   in progress  left as it is, for a later run;
//   unknown      (the transaction id is too old for PostgreSQL to know) left as it is.
// The store adds carry the session's prepare time as their score.
#ifndef MEOWMX_REDIS_RECOVERY_H_
#define MEOWMX_REDIS_RECOVERY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "meowmx/redis/prepare_commit.h"

namespace meowmx {

struct RecoveryOptions {
  PrepareCommitOptions records;
  // The database the writers' transactions ran in (any role may ask).
  std::string dsn;
  // Look at the prepared sets of the namespaces of the last `days` days.
  int days = 1;
  // Say what would be done, change nothing.
  bool dry_run = false;
};

struct RecoveredSession {
  std::string id;
  std::string xid;
  std::string status;  // "committed", "aborted", "in progress", "unknown"
  std::string action;  // "replayed", "dropped", "left" (dry run: "would replay", "would drop")
  std::size_t changes = 0;
};

// Throws InvalidArgument for bad options, ConnectionError when Redis or
// PostgreSQL cannot be reached.
std::vector<RecoveredSession> recover(const RecoveryOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_REDIS_RECOVERY_H_

// Recovery of prepare-commit sessions (see prepare_commit.h): what writers
// prepared but never finished, settled by asking PostgreSQL what became of
// each transaction (pg_xact_status):
//   committed    the changes are published now (store adds, then signals when
//                the options give a bus and ZeroMQ messages when they give a
//                socket), the session marked "recovered";
//   aborted      the session is dropped (marked "dropped"): nothing reaches the store;
//   in progress  left as it is, for a later run;
//   unknown      the transaction id is too old for PostgreSQL to know, or newer
//                than any it has handed out (the record names another cluster's
//                transaction: check the DSN): left as it is; the record expired
//                before the prepared set: dropped.
// The store adds carry the session's prepare time as their score.
#ifndef MEOWMX_REDIS_RECOVERY_H_
#define MEOWMX_REDIS_RECOVERY_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "meowmx/capture/sink.h"
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
  // Also send each replayed change as meepo's single-frame message
  // "<event> <pk>" (text_line(event, pk): the pk given to touched(), quoted
  // as the pub quotes a text key) on a ZeroMQ socket bound or connected as
  // in the zmq sink (`raw` is not used), for the subscribers of
  // `pub --sink zmq`. Not opened in a dry run.
  std::optional<ZmqSinkOptions> zmq = std::nullopt;
  // ZeroMQ drops what is sent before a subscriber has subscribed, so before
  // replaying anything recovery waits this long for a first subscription;
  // with none, it throws ConnectionError and changes nothing.
  std::chrono::milliseconds zmq_subscriber_wait{10000};
};

struct RecoveredSession {
  std::string id;
  std::string xid;
  std::string status;  // "committed", "aborted", "in progress", "unknown"
  std::string action;  // "replayed", "dropped", "left" (dry run: "would replay", "would drop")
  std::size_t changes = 0;
};

// Throws InvalidArgument for bad options, ConnectionError when Redis or
// PostgreSQL cannot be reached or no ZeroMQ subscriber came in time.
std::vector<RecoveredSession> recover(const RecoveryOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_REDIS_RECOVERY_H_

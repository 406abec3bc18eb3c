// Save statements: the one SQL statement a save runs, in a variant per shape
// of save, so that no save pays for the parts only other saves need.
#ifndef MEOWMX_SRC_STORE_SAVE_STATEMENT_H_
#define MEOWMX_SRC_STORE_SAVE_STATEMENT_H_

#include <array>
#include <string>

namespace meowmx::internal {

struct SaveShape {
  // Several events, as one JSON array; else one event, as plain parameters.
  bool batch = false;
  // The expected version is 0 or any, so the aggregate row may not exist yet.
  bool may_create = false;
  // Some event has a client event id, so the save may be a retry.
  bool event_ids = false;
};

// Every shape, to prepare them all (libpqxx sends a PREPARE on first use only).
inline constexpr std::array<SaveShape, 8> kSaveShapes = {{
    {false, false, false}, {false, false, true}, {false, true, false}, {false, true, true},
    {true, false, false},  {true, false, true},  {true, true, false},  {true, true, true},
}};

// The prepared statement's name, e.g. "meowmx_save_one" or "meowmx_save_batch_create_ids".
std::string save_statement_name(const SaveShape& shape);

// Parameters: $1 aggregate type, $2 aggregate id, $3 expected version (NULL
// for any); then for a batch $4 the events as a JSON array and $5 their
// number, for one event $4 event type, $5 json, $6 metadata and $7 event id
// (NULL for none). Returns internal::kSavedColumns per written event, no row
// when nothing was written.
std::string save_statement_sql(const SaveShape& shape);

// Wakes the subscription workers after a save committed: NOTIFY in a
// transaction of its own. In the save's transaction it would serialise every
// notifying commit, WAL flush included, behind PostgreSQL's one lock for the
// notification queue; alone, it commits without waiting for the flush (a
// notification is lost with a crash anyway), so the lock is held briefly.
inline constexpr const char* kWakeSubscribersSql =
    "SELECT pg_notify('meowmx_events', ''), set_config('synchronous_commit', 'off', true)";

// The same wake-up for a save in the caller's transaction: PostgreSQL sends
// it at that commit (once per transaction, however many saves), never after
// a rollback, and the caller's synchronous_commit stays as it is.
inline constexpr const char* kWakeSubscribersAtCommitSql = "SELECT pg_notify('meowmx_events', '')";

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_SAVE_STATEMENT_H_

// Subscription round: the statements a subscription worker runs. A worker
// claims its member with a session advisory lock, keeps the checkpoint in
// memory, reads each page after it like any reader, and moves the stored
// checkpoint only if nobody else moved it (a reset, a delete) meanwhile.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_

#include <string>

namespace meowmx::internal {

struct RoundFilter {
  bool by_category = false;  // adds a text[] parameter of aggregate types
  int group_size = 1;        // above 1: reads only this member's events
  int group_member = 0;
};

// The page after a position: $1 tx_id (xid8 text), $2 id, $3 page size, then
// the categories (text[] literal) when by_category. A group's size and
// member are part of the statement, so the page walks the member's index. Rows: the page's events in log order, with
// the columns of kEventColumns. Plain parameters, so PostgreSQL plans it once
// per session (a generic plan) instead of at every round.
std::string subscription_round_sql(const RoundFilter& filter);

// One prepared statement per filter: a Client may run differently filtered
// subscriptions one after the other on its connection.
std::string subscription_round_name(const RoundFilter& filter);

// Claims a member for this session: $1 name, $2 member; one boolean row,
// true when claimed. A session advisory lock: it gives no transaction id, so
// a worker busy in a slow handler holds back no reader, and it is released
// when the session ends, however it ends. The key is the two-integer form,
// which never meets the single bigint keys that saves lock aggregates with.
inline constexpr const char* kClaimSql =
    "SELECT pg_try_advisory_lock(hashtext('meowmx.subscriptions/' || $1::text), $2::integer)";
inline constexpr const char* kReleaseSql =
    "SELECT pg_advisory_unlock(hashtext('meowmx.subscriptions/' || $1::text), $2::integer)";

// The stored checkpoint: $1 name, $2 member; no row once the subscription is deleted.
inline constexpr const char* kCheckpointSql =
    "SELECT last_tx_id::text, last_id FROM meowmx.subscriptions WHERE name = $1 AND group_member = $2";

// Moves the checkpoint from ($3, $4) to ($5, $6) and counts $7 more events
// delivered by worker $8; no row when the stored checkpoint is no longer
// ($3, $4). The commit that follows does not wait for its WAL flush unless
// $9 is true: a crash loses the handler's writes and the checkpoint together,
// so delivery stays exactly-once for them and at-least-once elsewhere.
inline constexpr const char* kMoveCheckpointSql =
    "UPDATE meowmx.subscriptions SET last_tx_id = $5::xid8, last_id = $6, delivered = delivered + $7,"
    " worker = $8, worker_backend_pid = pg_backend_pid(), updated_at = now()"
    " WHERE name = $1 AND group_member = $2 AND last_tx_id = $3::xid8 AND last_id = $4"
    " RETURNING CASE WHEN $9::boolean THEN '' ELSE set_config('synchronous_commit', 'off', true) END";

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_

// Wake-ups: the NOTIFY a save sends once it committed, saying what it wrote,
// so that only the subscription workers concerned wake.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meowmx::internal {

inline constexpr const char* kWakeUpChannel = "meowmx_events";

// Parameter $1: the wake-ups of saves that committed, as a JSON array of
// {"tx": transaction id, "type": aggregate type, "id": aggregate id}. Each
// payload is "<tx_id> <member hash> <aggregate type>", the member hash being
// meowmx.group_member_of's before the modulo. The NOTIFYs run in a
// transaction of their own: in the save's, they would serialise every
// notifying commit, WAL flush included, behind PostgreSQL's one lock for the
// notification queue; alone, they commit without waiting for the flush (a
// notification is lost with a crash anyway), so the lock is held briefly.
// Identical payloads in one transaction are folded into one by PostgreSQL.
inline constexpr const char* kWakeUpBatchSql =
    "SELECT pg_notify('meowmx_events', w.tx || ' ' ||"
    " (hashtext(w.id::meowmx.aggregate_id::text)::bigint & 2147483647)::text || ' ' || w.type),"
    " set_config('synchronous_commit', 'off', true)"
    " FROM jsonb_to_recordset($1::jsonb) AS w(tx text, type text, id text)";

// The same wake-up for a save in the caller's transaction ($1 aggregate type,
// $2 aggregate id): PostgreSQL sends it at that commit, never after a
// rollback, and the caller's synchronous_commit stays as it is.
inline constexpr const char* kWakeUpAtCommitSql =
    "SELECT pg_notify('meowmx_events', pg_current_xact_id()::text || ' ' ||"
    " (hashtext($2::meowmx.aggregate_id::text)::bigint & 2147483647)::text || ' ' || $1::text)";

struct WakeUp {
  std::uint64_t tx_id = 0;
  std::int64_t member_hash = 0;
  std::string_view aggregate_type;  // points into the parsed payload
};

// The wake-up in a payload; nullopt for any other payload (an empty one is
// sent by resets and deletes, and by writers that do not say what they wrote).
std::optional<WakeUp> parse_wake_up(std::string_view payload);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_H_

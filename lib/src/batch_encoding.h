// Batch encoding: a save's events travel as one JSON array parameter, so a
// batch of any size is one statement; each event is serialized exactly once.
#ifndef MEOWMX_SRC_BATCH_ENCODING_H_
#define MEOWMX_SRC_BATCH_ENCODING_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/event.h"

namespace meowmx::internal {

// [{"event_type":..,"json":..,"metadata":..,"event_id":..}, ...]; throws
// InvalidArgument for an event whose json + metadata exceed max_event_bytes.
std::string encode_batch(const std::vector<NewEvent>& events, std::size_t max_event_bytes);

// The columns a save returns: what the server chose for each new row.
inline constexpr const char* kSavedColumns =
    "id, tx_id::text, version, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

// The recorded events of a save: the caller's events plus the returned columns,
// so nothing the caller already has is sent back or parsed again.
std::vector<RecordedEvent> recorded_batch(std::string_view aggregate_type, std::string_view aggregate_id,
                                          const std::vector<NewEvent>& events, const pqxx::result& saved);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_BATCH_ENCODING_H_

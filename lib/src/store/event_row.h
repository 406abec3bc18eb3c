// Event rows: the one SELECT list every query that returns events uses, and
// its decoding into RecordedEvent.
#ifndef MEOWMX_SRC_STORE_EVENT_ROW_H_
#define MEOWMX_SRC_STORE_EVENT_ROW_H_

#include <vector>

#include <pqxx/pqxx>


#include "meowmx/event.h"

namespace meowmx::internal {

// Columns of meowmx.events in the order events_from_result() reads them. Each in
// its type's own output form, which is the text a cast would make, without
// the cast's cost per row; created_at is turned into UTC by the client
// (utc_timestamp.h), not by a to_char() per row.
inline constexpr const char* kEventColumns =
    "events.id, events.tx_id, events.aggregate_type, events.aggregate_id, events.version, events.event_type,"
    " events.json, events.metadata, events.event_id, events.created_at";

std::vector<RecordedEvent> events_from_result(const pqxx::result& result);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_EVENT_ROW_H_

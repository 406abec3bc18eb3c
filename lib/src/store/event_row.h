// Event rows: the one SELECT list every query that returns events uses, and
// its decoding into RecordedEvent.
#ifndef MEOWMX_SRC_STORE_EVENT_ROW_H_
#define MEOWMX_SRC_STORE_EVENT_ROW_H_

#include <vector>

#include <pqxx/pqxx>


#include "meowmx/event.h"

namespace meowmx::internal {

// Columns of meowmx.events in the order event_from_row() reads them.
inline constexpr const char* kEventColumns =
    "id, tx_id::text, aggregate_type, aggregate_id::text, version, event_type, json::text, "
    "metadata::text, event_id::text, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

RecordedEvent event_from_row(const pqxx::row& row);
std::vector<RecordedEvent> events_from_result(const pqxx::result& result);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_EVENT_ROW_H_

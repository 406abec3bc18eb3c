// Save encoding: a single event travels as plain parameters, a batch as one
// JSON array parameter, so a save of any size is one statement; each event is
// serialized exactly once.
#ifndef MEOWMX_SRC_STORE_BATCH_ENCODING_H_
#define MEOWMX_SRC_STORE_BATCH_ENCODING_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/event.h"

namespace meowmx::internal {

// An event's json and metadata as the JSON text jsonb receives: the caller's
// text as given, or its json value serialised (metadata empty when there is
// none). Throws InvalidArgument for text check_json_text() refuses and when
// json + metadata exceed max_event_bytes.
struct EncodedEvent {
  std::string json;
  std::string metadata;
};
EncodedEvent encode_event(const NewEvent& event, std::size_t max_event_bytes);

// encode_event() of each event.
std::vector<EncodedEvent> encode_events(const std::vector<NewEvent>& events, std::size_t max_event_bytes);

// [{"event_type":..,"json":..,"metadata":..,"event_id":..}, ...] of the events
// and their encodings; the events must have passed check_new_events().
std::string batch_parameter(const std::vector<NewEvent>& events, const std::vector<EncodedEvent>& encoded);

// The columns a save returns: what the server chose for each new row
// (created_at as utc_timestamp() takes it).
inline constexpr const char* kSavedColumns = "id, tx_id, version, created_at";

// The recorded events of a save: the caller's events and their encodings plus
// the returned columns, so nothing the caller already has is sent back.
std::vector<RecordedEvent> recorded_batch(std::string_view aggregate_type, std::string_view aggregate_id,
                                          const std::vector<NewEvent>& events,
                                          const std::vector<EncodedEvent>& encoded, const pqxx::result& saved);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_BATCH_ENCODING_H_

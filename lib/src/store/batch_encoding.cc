#include "store/batch_encoding.h"

#include "meowmx/error.h"
#include "store/json_text.h"
#include "store/utc_timestamp.h"

namespace meowmx::internal {

namespace {

// The text of the `part` ("json" or "metadata") of `event`, given as `text`
// or else as `value`, checked for what PostgreSQL's jsonb would refuse or
// keep differently (see check_json_text()).
std::string text_for_jsonb(const std::optional<std::string>& text, const nlohmann::json& value,
                           const NewEvent& event, const char* part, JsonRoot root) {
  const std::string what = "event '" + event.event_type + "' " + part;
  if (text) {
    check_json_text(*text, root, what);
    return *text;
  }
  std::string out;
  try {
    out = value.dump();
  } catch (const nlohmann::json::type_error&) {
    throw InvalidArgument(what + " is not valid UTF-8");
  }
  check_dumped_json(out, what);  // check_new_events() saw the root
  return out;
}

}  // namespace

EncodedEvent encode_event(const NewEvent& event, std::size_t max_event_bytes) {
  EncodedEvent encoded{text_for_jsonb(event.json_text, event.json, event, "json", JsonRoot::kObject), {}};
  if (event.metadata_text || !event.metadata.is_null()) {
    encoded.metadata =
        text_for_jsonb(event.metadata_text, event.metadata, event, "metadata", JsonRoot::kObjectOrNull);
    if (is_json_null(encoded.metadata)) encoded.metadata.clear();
  }
  // What the caller sent: absent metadata counts nothing.
  const std::size_t bytes = encoded.json.size() + encoded.metadata.size();
  if (bytes > max_event_bytes) {
    throw InvalidArgument("event '" + event.event_type + "' is " + std::to_string(bytes) +
                          " bytes of json and metadata, over the limit of " + std::to_string(max_event_bytes));
  }
  return encoded;
}

std::vector<EncodedEvent> encode_events(const std::vector<NewEvent>& events, std::size_t max_event_bytes) {
  std::vector<EncodedEvent> encoded;
  encoded.reserve(events.size());
  for (const NewEvent& event : events) encoded.push_back(encode_event(event, max_event_bytes));
  return encoded;
}

std::string batch_parameter(const std::vector<NewEvent>& events,
                            const std::vector<EncodedEvent>& encoded) {
  std::string batch = "[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& event = events[i];
    if (batch.size() > 1) batch += ',';
    // Event types and ids are checked names and uuids: nothing to escape.
    // The payloads are checked JSON, so they nest as they are.
    batch += R"({"event_type":")";
    batch += event.event_type;
    batch += R"(","json":)";
    batch += encoded[i].json;
    batch += R"(,"metadata":)";
    batch += encoded[i].metadata.empty() ? "null" : encoded[i].metadata;
    batch += R"(,"event_id":)";
    batch += event.event_id ? '"' + *event.event_id + '"' : "null";
    batch += '}';
  }
  return batch + "]";
}

std::vector<RecordedEvent> recorded_batch(std::string_view aggregate_type, std::string_view aggregate_id,
                                          const std::vector<NewEvent>& events,
                                          const std::vector<EncodedEvent>& encoded, const pqxx::result& saved) {
  std::vector<RecordedEvent> recorded(saved.size());
  std::int64_t first_version = -1;
  for (const auto& row : saved) {
    const auto version = row[2].as<std::int64_t>();
    if (first_version < 0 || version < first_version) first_version = version;
  }
  for (const auto& row : saved) {
    const auto version = row[2].as<std::int64_t>();
    const auto offset = static_cast<std::size_t>(version - first_version);
    const NewEvent& source = events.at(offset);
    RecordedEvent& event = recorded.at(offset);
    event.id = row[0].as<std::int64_t>();
    event.tx_id = row[1].as<std::uint64_t>();
    event.aggregate_type = aggregate_type;
    event.aggregate_id = aggregate_id;
    event.version = version;
    event.event_type = source.event_type;
    event.json_text = encoded.at(offset).json;
    event.metadata_text = encoded[offset].metadata;
    event.event_id = source.event_id;
    event.created_at = utc_timestamp({row[3].c_str(), row[3].size()});
  }
  return recorded;
}

}  // namespace meowmx::internal

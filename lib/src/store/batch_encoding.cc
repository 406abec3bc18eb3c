#include "store/batch_encoding.h"

#include <algorithm>

#include "meowmx/error.h"

namespace meowmx::internal {

namespace {

// True when serialized JSON holds the escape \u0000 (not an escaped
// backslash followed by "u0000": that one has an even run of backslashes).
bool has_escaped_nul(const std::string& text) {
  for (auto at = text.find("\\u0000"); at != std::string::npos; at = text.find("\\u0000", at + 1)) {
    std::size_t backslashes = 0;
    while (at >= backslashes + 1 && text[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return true;
  }
  return false;
}

// Serializes `value`, the `part` ("json" or "metadata") of `event`, refusing
// what PostgreSQL's jsonb would refuse later: invalid UTF-8, and NUL (\u0000)
// in a string or key. Messages are built only on refusal: saves are hot.
std::string dump_for_jsonb(const nlohmann::json& value, const NewEvent& event, const char* part) {
  std::string text;
  try {
    text = value.dump();
  } catch (const nlohmann::json::type_error&) {
    throw InvalidArgument("event '" + event.event_type + "' " + part + " is not valid UTF-8");
  }
  if (has_escaped_nul(text)) {
    throw InvalidArgument("event '" + event.event_type + "' " + part +
                          " holds a NUL character (\\u0000), which PostgreSQL's jsonb refuses");
  }
  return text;
}

}  // namespace

EncodedEvent encode_event(const NewEvent& event, std::size_t max_event_bytes) {
  EncodedEvent encoded{dump_for_jsonb(event.json, event, "json"),
                       dump_for_jsonb(event.metadata, event, "metadata")};
  const std::size_t bytes = encoded.json.size() + encoded.metadata.size();
  if (bytes > max_event_bytes) {
    throw InvalidArgument("event '" + event.event_type + "' is " + std::to_string(bytes) +
                          " bytes, over the limit of " + std::to_string(max_event_bytes));
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
    batch += R"({"event_type":")";
    batch += event.event_type;
    batch += R"(","json":)";
    batch += encoded[i].json;
    batch += R"(,"metadata":)";
    batch += encoded[i].metadata;
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
    if (!source.metadata.is_null()) event.metadata_text = encoded[offset].metadata;
    event.event_id = source.event_id;
    event.created_at = row[3].c_str();
  }
  return recorded;
}

}  // namespace meowmx::internal

#include "meowmx/event.h"

namespace meowmx {

nlohmann::json RecordedEvent::json() const {
  return json_text.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(json_text);
}

nlohmann::json RecordedEvent::metadata() const {
  return metadata_text.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(metadata_text);
}

void to_json(nlohmann::json& out, const RecordedEvent& event) {
  out = nlohmann::json{
      {"id", event.id},
      {"tx_id", event.tx_id},
      {"position", event.position().to_string()},
      {"aggregate_type", event.aggregate_type},
      {"aggregate_id", event.aggregate_id},
      {"version", event.version},
      {"event_type", event.event_type},
      {"json", event.json()},
      {"metadata", event.metadata()},
      {"event_id", event.event_id ? nlohmann::json(*event.event_id) : nlohmann::json(nullptr)},
      {"created_at", event.created_at},
  };
}

}  // namespace meowmx

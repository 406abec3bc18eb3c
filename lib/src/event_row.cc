#include "event_row.h"

#include <string>

namespace meowmx::internal {

RecordedEvent event_from_row(const pqxx::row& row) {
  RecordedEvent event;
  event.id = row[0].as<std::int64_t>();
  event.tx_id = std::stoull(row[1].as<std::string>());
  event.aggregate_type = row[2].as<std::string>();
  event.aggregate_id = row[3].as<std::string>();
  event.version = row[4].as<std::int64_t>();
  event.event_type = row[5].as<std::string>();
  event.json = nlohmann::json::parse(row[6].c_str());
  event.metadata = row[7].is_null() ? nlohmann::json(nullptr) : nlohmann::json::parse(row[7].c_str());
  if (!row[8].is_null()) event.event_id = row[8].as<std::string>();
  event.created_at = row[9].as<std::string>();
  return event;
}

std::vector<RecordedEvent> events_from_result(const pqxx::result& result) {
  std::vector<RecordedEvent> events;
  events.reserve(result.size());
  for (const auto& row : result) events.push_back(event_from_row(row));
  return events;
}

}  // namespace meowmx::internal

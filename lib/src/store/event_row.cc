#include "store/event_row.h"

#include <charconv>
#include <string>
#include <string_view>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// Straight from libpq's buffer: a delivery decodes every field of every
// event, and pqxx's conversions would first copy each into a std::string.
std::string_view text_of(const pqxx::field& field) { return {field.c_str(), field.size()}; }

template <typename Integer>
Integer integer_of(const pqxx::field& field) {
  const std::string_view text = text_of(field);
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw Error("unexpected integer '" + std::string(text) + "' in column " + field.name());
  }
  return value;
}

}  // namespace

RecordedEvent event_from_row(const pqxx::row& row) {
  RecordedEvent event;
  event.id = integer_of<std::int64_t>(row[0]);
  event.tx_id = integer_of<std::uint64_t>(row[1]);
  event.aggregate_type = text_of(row[2]);
  event.aggregate_id = text_of(row[3]);
  event.version = integer_of<std::int64_t>(row[4]);
  event.event_type = text_of(row[5]);
  event.json_text = text_of(row[6]);
  if (!row[7].is_null()) event.metadata_text = text_of(row[7]);
  if (!row[8].is_null()) event.event_id = std::string(text_of(row[8]));
  event.created_at = text_of(row[9]);
  return event;
}

std::vector<RecordedEvent> events_from_result(const pqxx::result& result) {
  std::vector<RecordedEvent> events;
  events.reserve(result.size());
  for (const auto& row : result) events.push_back(event_from_row(row));
  return events;
}

}  // namespace meowmx::internal

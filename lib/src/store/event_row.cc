#include "store/event_row.h"

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "meowmx/error.h"
#include "store/utc_timestamp.h"

namespace meowmx::internal {
namespace {

// The fields of one row, read in order straight from libpq's buffer. One
// iterator walks the row: each pqxx::field made by row[i] would copy the
// result's shared handles, and pqxx's conversions would copy each value
// into a std::string first.
class Fields {
 public:
  explicit Fields(const pqxx::row& row) : at_(row.begin()) {}

  std::string_view text() {
    const std::string_view value(at_->c_str(), at_->size());
    ++at_;
    return value;
  }

  // A nullable column: nullopt for NULL.
  std::optional<std::string_view> optional_text() {
    if (at_->is_null()) {
      ++at_;
      return std::nullopt;
    }
    return text();
  }

  template <typename Integer>
  Integer integer() {
    const std::string_view value(at_->c_str(), at_->size());
    Integer number{};
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || end != value.data() + value.size()) {
      throw Error("unexpected integer '" + std::string(value) + "' in column " + at_->name());
    }
    ++at_;
    return number;
  }

 private:
  pqxx::row::const_iterator at_;
};

std::optional<std::string> optional_string(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  return std::string(*text);
}

// Braced, so the fields are read in column order and each string is made
// once, from libpq's buffer, in the event it ends up in.
RecordedEvent event_from_row(const pqxx::row& row) {
  Fields fields(row);
  return RecordedEvent{.id = fields.integer<std::int64_t>(),
                       .tx_id = fields.integer<std::uint64_t>(),
                       .aggregate_type = std::string(fields.text()),
                       .aggregate_id = std::string(fields.text()),
                       .version = fields.integer<std::int64_t>(),
                       .event_type = std::string(fields.text()),
                       .json_text = std::string(fields.text()),
                       .metadata_text = std::string(fields.optional_text().value_or(std::string_view())),
                       .event_id = optional_string(fields.optional_text()),
                       .created_at = utc_timestamp(fields.text())};
}

}  // namespace

std::vector<RecordedEvent> events_from_result(const pqxx::result& result) {
  std::vector<RecordedEvent> events;
  events.reserve(result.size());
  for (const auto& row : result) events.push_back(event_from_row(row));
  return events;
}

}  // namespace meowmx::internal

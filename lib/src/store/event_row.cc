#include "store/event_row.h"

#include <charconv>
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

  bool next_is_null() const { return at_->is_null(); }

  std::string_view text() {
    const std::string_view value(at_->c_str(), at_->size());
    ++at_;
    return value;
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

  void skip() { ++at_; }

 private:
  pqxx::row::const_iterator at_;
};

// Fills a default-constructed event, in place: a RecordedEvent returned and
// moved into a vector would cost a move of each string per row.
void event_from_row(RecordedEvent& event, const pqxx::row& row) {
  Fields fields(row);
  event.id = fields.integer<std::int64_t>();
  event.tx_id = fields.integer<std::uint64_t>();
  event.aggregate_type = fields.text();
  event.aggregate_id = fields.text();
  event.version = fields.integer<std::int64_t>();
  event.event_type = fields.text();
  event.json_text = fields.text();
  if (fields.next_is_null()) {
    fields.skip();
  } else {
    event.metadata_text = fields.text();
  }
  if (fields.next_is_null()) {
    fields.skip();
  } else {
    event.event_id = std::string(fields.text());
  }
  event.created_at = utc_timestamp(fields.text());
}

}  // namespace

std::vector<RecordedEvent> events_from_result(const pqxx::result& result) {
  std::vector<RecordedEvent> events(result.size());
  auto event = events.begin();
  for (const auto& row : result) event_from_row(*event++, row);
  return events;
}

}  // namespace meowmx::internal

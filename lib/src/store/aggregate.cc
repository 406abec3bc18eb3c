#include "meowmx/aggregate.h"

#include "store/json_text.h"

namespace meowmx {

void Aggregate::record(NewEvent event) {
  if (event.json_text) {
    internal::check_json_text(*event.json_text, internal::JsonRoot::kObject,
                              "event '" + event.event_type + "' json");
    apply(event.event_type, nlohmann::json::parse(*event.json_text));
  } else {
    apply(event.event_type, event.json);
  }
  pending_.push_back(std::move(event));
}

void Aggregate::replace_with(const std::vector<RecordedEvent>& stored) {
  reset();
  pending_.clear();
  for (const RecordedEvent& event : stored) apply(event.event_type, event.json());
  version_ = static_cast<std::int64_t>(stored.size());
}

void Aggregate::mark_saved(const std::vector<RecordedEvent>& recorded) {
  pending_.clear();
  if (!recorded.empty()) version_ = recorded.back().version + 1;
}

}  // namespace meowmx

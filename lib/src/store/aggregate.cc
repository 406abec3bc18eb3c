#include "meowmx/aggregate.h"

namespace meowmx {

void Aggregate::record(NewEvent event) {
  apply(event.event_type, event.json);
  pending_.push_back(std::move(event));
}

void Aggregate::replace_with(const std::vector<RecordedEvent>& stored) {
  reset();
  pending_.clear();
  for (const RecordedEvent& event : stored) apply(event.event_type, event.json());
  version_ = static_cast<std::int64_t>(stored.size());
}

void Aggregate::mark_saved(std::int64_t new_version) {
  pending_.clear();
  version_ = new_version;
}

}  // namespace meowmx

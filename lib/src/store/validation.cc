#include "meowmx/validation.h"

#include "store/batch_encoding.h"
#include "store/input_validation.h"

namespace meowmx {

void check_name(std::string_view what, std::string_view name) { internal::check_name(what, name); }

void check_new_events(const std::vector<NewEvent>& events, std::size_t max_event_bytes) {
  internal::check_new_events(events);
  (void)internal::encode_events(events, max_event_bytes);  // the checks made while serialising
}

}  // namespace meowmx

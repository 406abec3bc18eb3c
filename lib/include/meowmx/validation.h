// Validation: the checks Client runs on its arguments before any SQL, for
// programs that want to refuse bad input before they connect (the CLI does).
// Each throws InvalidArgument naming the problem.
#ifndef MEOWMX_VALIDATION_H_
#define MEOWMX_VALIDATION_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "meowmx/event.h"

namespace meowmx {

// Aggregate types, event types, categories and subscription names: a letter
// or '_', then letters, digits, '_', '.', ':' or '-', at most 128 in all.
// `what` names the field in the error, e.g. "aggregate type".
void check_name(std::string_view what, std::string_view name);

// What save() refuses before it asks the server: an empty batch, bad event
// types, payloads or metadata that are not objects (or not JSON), text jsonb
// refuses (invalid UTF-8, NUL), numbers beyond a double's range, nesting
// deeper than 512 levels, events whose json and metadata text exceed
// max_event_bytes, event ids that are not lowercase UUIDs or repeat within
// the batch.
void check_new_events(const std::vector<NewEvent>& events, std::size_t max_event_bytes);

}  // namespace meowmx

#endif  // MEOWMX_VALIDATION_H_

// Input validation: everything a caller hands to the store is checked here,
// before any SQL runs, so bad input fails with InvalidArgument and writes nothing.
#ifndef MEOWMX_SRC_STORE_INPUT_VALIDATION_H_
#define MEOWMX_SRC_STORE_INPUT_VALIDATION_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/event.h"
#include "meowmx/options.h"

namespace meowmx::internal {

// Aggregate types and event types: a letter or '_', then letters, digits,
// '_', '.', ':' or '-', at most 128 in all. `what` names the field in the error.
void check_name(std::string_view what, std::string_view name);

// The id in the canonical text form of the schema's id type, so that it comes
// back byte for byte: lowercase 8-4-4-4-12 uuid, bigint without sign or
// leading zeros beyond '-', non-empty text without NUL of at most 1024 bytes.
void check_aggregate_id(AggregateIdType type, std::string_view id);

// At most `shown` bytes of a rejected value, for an error message of one
// short line: "..." when cut, control and non-ASCII bytes as '?'.
std::string excerpt(std::string_view value, std::size_t shown = 60);

// A lowercase canonical UUID.
bool is_canonical_uuid(std::string_view text);

// A non-empty batch of well-formed events, each with its payload given one
// way only, with client event ids unique within the batch. (Payload text and
// sizes are checked where the batch is encoded.)
void check_new_events(const std::vector<NewEvent>& events);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_INPUT_VALIDATION_H_

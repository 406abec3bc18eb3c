// UTC timestamps: a timestamptz as PostgreSQL prints it, turned into the one
// form meowmx shows (ISO 8601 in UTC with microseconds). Done by the client,
// because the server's to_char() costs more per row than the whole rest of
// an event's output.
#ifndef MEOWMX_SRC_STORE_UTC_TIMESTAMP_H_
#define MEOWMX_SRC_STORE_UTC_TIMESTAMP_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

// `text` is a timestamptz in PostgreSQL's ISO output (DateStyle ISO, the
// default), in the session's time zone: "2026-11-23 14:28:28.2033+01", the
// fraction without trailing zeros, the offset as +HH, +HH:MM or +HH:MM:SS.
// Returns it as "2026-11-23T13:28:28.203300Z". Text of any other shape
// (another DateStyle, infinity, a year beyond 9999 or BC) is returned as it is.
std::string utc_timestamp(std::string_view text);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_UTC_TIMESTAMP_H_

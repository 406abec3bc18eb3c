// Values: PostgreSQL column values as change capture keeps them. Both
// PostgreSQL sources render values with the server's output functions under
// the same session settings, so a key reads the same whichever source saw
// it; the type decides only how the text goes into JSON.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_VALUES_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_VALUES_H_

#include <cstdint>
#include <string_view>

#include "meowmx/capture/value.h"

namespace meowmx::internal {

// The settings under which captured values are rendered: the replication
// connection's `options`, and the SET clause of the trigger functions.
inline constexpr std::string_view kCaptureSessionOptions =
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=1";

// bool as a JSON boolean; int2, int4, int8, oid and finite float4/float8 as
// JSON numbers; json and jsonb verbatim; everything else (numeric included,
// so "1.50" stays "1.50") as a JSON string of the server's text.
Value make_value(std::uint32_t type_oid, std::string_view text);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_VALUES_H_

// LSN: a position in PostgreSQL's write-ahead log, shown as "16/B374D848".
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_LSN_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_LSN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace meowmx::internal {

using Lsn = std::uint64_t;

std::string format_lsn(Lsn lsn);
// Throws Error on anything but PostgreSQL's "X/X" hex form.
Lsn parse_lsn(std::string_view text);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_LSN_H_

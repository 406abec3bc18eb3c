// Logger: where the library's messages go.
#ifndef MEOWMX_SRC_COMMON_LOGGER_H_
#define MEOWMX_SRC_COMMON_LOGGER_H_

#include <spdlog/spdlog.h>

namespace meowmx::internal {

// spdlog's logger named "meowmx", on stderr, so a program's stdout stays
// its own. Created and registered on first use, at spdlog's global level; a
// program that registers a logger of that name before its first meowmx call
// gets the library's messages there instead. spdlog::set_level() and
// spdlog::get("meowmx") reach it as they reach any registered logger.
spdlog::logger& logger();

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_LOGGER_H_

// JSON strings written by hand where meowmx builds JSON text itself (so that
// values it did not parse are never re-serialised).
#ifndef MEOWMX_SRC_COMMON_JSON_STRING_H_
#define MEOWMX_SRC_COMMON_JSON_STRING_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

// Appends `text` as a JSON string: quoted, with '"', '\\' and control
// characters escaped, and invalid UTF-8 replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view text);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_JSON_STRING_H_

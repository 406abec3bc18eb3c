// JSON text: payloads are validated as the text the caller wrote and kept as
// that text, so no number is rounded to a double and nothing is re-serialised
// on its way to jsonb.
#ifndef MEOWMX_SRC_STORE_JSON_TEXT_H_
#define MEOWMX_SRC_STORE_JSON_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meowmx::internal {

// Deepest nesting of objects and arrays a payload may have (documented in the README).
inline constexpr std::size_t kMaxJsonDepth = 512;

// What the top-level value of a checked text may be.
enum class JsonRoot { kObject, kObjectOrNull };

// Throws InvalidArgument, naming `what` (e.g. "--json"), unless `text` is one
// JSON value of kind `root` that PostgreSQL's jsonb stores as written: well
// formed, valid UTF-8, no NUL (\u0000) in a string or key, no number beyond
// the range of a double (jsonb would keep it, but most readers cannot), at
// most kMaxJsonDepth levels deep. Never changes or copies the text.
void check_json_text(std::string_view text, JsonRoot root, std::string_view what);

// The same check for text nlohmann's dump() wrote, which is well formed,
// valid UTF-8 and holds finite numbers only: one pass over the bytes for the
// depth and NUL, several times faster than check_json_text() (saves are hot).
void check_dumped_json(std::string_view dumped, std::string_view what);

// The members of a JSON object checked by check_json_text(), in order, each
// as its decoded key and the exact text of its value (no surrounding spaces).
std::vector<std::pair<std::string, std::string_view>> object_members(std::string_view object_text);

// True when checked JSON text is the literal null (spaces around it allowed).
bool is_json_null(std::string_view text);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_JSON_TEXT_H_

#include "capture/postgres/lsn.h"

#include <charconv>
#include <cstdio>

#include "meowmx/error.h"

namespace meowmx::internal {

std::string format_lsn(Lsn lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
  return text;
}

Lsn parse_lsn(std::string_view text) {
  const auto slash = text.find('/');
  std::uint32_t high = 0;
  std::uint32_t low = 0;
  const char* end = text.data() + text.size();
  bool ok = slash != std::string_view::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    auto [high_end, high_error] = std::from_chars(text.data(), text.data() + slash, high, 16);
    auto [low_end, low_error] = std::from_chars(text.data() + slash + 1, end, low, 16);
    ok = high_error == std::errc() && low_error == std::errc() && high_end == text.data() + slash &&
         low_end == end;
  }
  if (!ok) throw Error("not an LSN: '" + std::string(text) + "'");
  return (static_cast<Lsn>(high) << 32) | low;
}

}  // namespace meowmx::internal

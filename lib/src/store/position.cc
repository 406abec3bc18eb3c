#include "meowmx/position.h"

#include <charconv>

#include "meowmx/error.h"
#include "store/input_validation.h"

namespace meowmx {

std::string Position::to_string() const {
  return std::to_string(tx_id) + ":" + std::to_string(id);
}

Position Position::parse(std::string_view text) {
  const auto colon = text.find(':');
  Position position;
  bool ok = colon != std::string_view::npos;
  if (ok) {
    const char* end = text.data() + colon;
    auto tx = std::from_chars(text.data(), end, position.tx_id);
    auto id = std::from_chars(end + 1, text.data() + text.size(), position.id);
    ok = tx.ec == std::errc() && tx.ptr == end && id.ec == std::errc() &&
         id.ptr == text.data() + text.size() && position.id >= 0 && colon > 0;
  }
  if (!ok) {
    throw InvalidArgument("invalid position '" + internal::excerpt(text, 48) +
                          "': expected TX_ID:ID as printed in an event's \"position\", e.g. 0:0");
  }
  return position;
}

}  // namespace meowmx

#include "meowmx/expected_version.h"

#include <charconv>

#include "meowmx/error.h"
#include "store/input_validation.h"

namespace meowmx {

ExpectedVersion ExpectedVersion::parse(std::string_view text) {
  if (text == "any") return any();
  std::int64_t value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    throw InvalidArgument("invalid version '" + internal::excerpt(text, 24) +
                          "': expected 'any' or the number of events already stored, a whole number "
                          "from 0 to 2^63-1");
  }
  return ExpectedVersion(value);
}

std::string ExpectedVersion::to_string() const {
  return is_any() ? "any" : std::to_string(*value_);
}

}  // namespace meowmx

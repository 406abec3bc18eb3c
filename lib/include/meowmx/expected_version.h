// ExpectedVersion: the optimistic concurrency check of an append.
#ifndef MEOWMX_EXPECTED_VERSION_H_
#define MEOWMX_EXPECTED_VERSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meowmx {

class ExpectedVersion {
 public:
  // The aggregate must hold exactly `events_already_there` events; the new
  // events get versions events_already_there, events_already_there + 1, ...
  ExpectedVersion(std::int64_t events_already_there)  // NOLINT: implicit on purpose
      : value_(events_already_there) {}
  // No check: append after whatever is there.
  static ExpectedVersion any() { return ExpectedVersion(); }
  // "any" or a non-negative integer; throws InvalidArgument otherwise.
  static ExpectedVersion parse(std::string_view text);

  bool is_any() const noexcept { return !value_.has_value(); }
  std::int64_t value() const { return value_.value(); }
  std::string to_string() const;

 private:
  ExpectedVersion() = default;
  std::optional<std::int64_t> value_;
};

}  // namespace meowmx

#endif  // MEOWMX_EXPECTED_VERSION_H_

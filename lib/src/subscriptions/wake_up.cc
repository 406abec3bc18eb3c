#include "subscriptions/wake_up.h"

#include <charconv>

namespace meowmx::internal {
namespace {

// Parses the decimal number at the start of `text` up to a space, and drops
// both from `text`.
template <typename Integer>
std::optional<Integer> take_number(std::string_view& text) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() + text.size() || *end != ' ') return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()) + 1);
  return value;
}

}  // namespace

std::optional<WakeUp> parse_wake_up(std::string_view payload) {
  const auto tx_id = take_number<std::uint64_t>(payload);
  if (!tx_id) return std::nullopt;
  const auto member_hash = take_number<std::int64_t>(payload);
  if (!member_hash || payload.empty()) return std::nullopt;
  return WakeUp{.tx_id = *tx_id, .member_hash = *member_hash, .aggregate_type = payload};
}

}  // namespace meowmx::internal

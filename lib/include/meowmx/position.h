// Position: a place in the global event log that readers can trust.
//
// Events are ordered by (transaction id, event id). A reader only ever sees
// events of transactions older than every transaction still running, so a
// position never moves past an event that is committed later.
#ifndef MEOWMX_POSITION_H_
#define MEOWMX_POSITION_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace meowmx {

struct Position {
  std::uint64_t tx_id = 0;  // the writing transaction's xid8
  std::int64_t id = 0;      // the event's global id

  static Position beginning() { return {}; }

  // "tx_id:id", e.g. "7421:1038".
  std::string to_string() const;
  // Parses "tx_id:id"; throws InvalidArgument on anything else.
  static Position parse(std::string_view text);

  auto operator<=>(const Position&) const = default;
};

}  // namespace meowmx

#endif  // MEOWMX_POSITION_H_

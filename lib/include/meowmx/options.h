// Options structs for the Client, in the style of leveldb's options.h:
// every knob has a default, so callers set only what they mean.
#ifndef MEOWMX_OPTIONS_H_
#define MEOWMX_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/position.h"

namespace meowmx {

// The SQL type of the aggregate id column, chosen once at the first set-up.
enum class AggregateIdType { kUuid, kText, kBigint };

std::string_view to_string(AggregateIdType type);
// "uuid", "text" or "bigint"; throws InvalidArgument naming the choices otherwise.
AggregateIdType parse_aggregate_id_type(std::string_view text);

struct ClientOptions {
  // libpq connection string or URI. May hold a password; meowmx never prints it.
  std::string dsn;
  // The session's application_name unless the DSN or PGAPPNAME sets one
  // (libpq's fallback_application_name).
  std::string application_name = "meowmx";
  // Largest serialized event (json + metadata) accepted by save(), in bytes.
  std::size_t max_event_bytes = 1 << 20;
  // Wake subscribers with one NOTIFY after each save that wrote events: one
  // more short round trip and transaction id (see docs/operations.md).
  // Writers that turn it off leave subscribers to their polling (max_sleep).
  bool notify = true;
};

struct SetupOptions {
  // Only used when the schema is created. Asking for a different type than an
  // existing schema has is an InvalidArgument; leaving it empty keeps what is there.
  std::optional<AggregateIdType> aggregate_id_type;
};

struct LoadOptions {
  std::int64_t from_version = 0;                          // inclusive
  std::optional<std::int64_t> to_version = std::nullopt;  // inclusive
  bool reverse = false;                                   // newest first
  std::optional<std::int64_t> limit = std::nullopt;       // no limit unless asked for
};

struct ReadOptions {
  std::vector<std::string> categories;  // aggregate types; empty means all
  Position after = Position::beginning();
  std::int64_t limit = 1000;            // one page
};

}  // namespace meowmx

#endif  // MEOWMX_OPTIONS_H_

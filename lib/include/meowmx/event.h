// Events: what a caller appends (NewEvent) and what the store returns (RecordedEvent).
#ifndef MEOWMX_EVENT_H_
#define MEOWMX_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "meowmx/position.h"

namespace meowmx {

struct NewEvent {
  std::string event_type;
  nlohmann::json json = nlohmann::json::object();  // the payload; must be a JSON object
  nlohmann::json metadata = nullptr;                // null, or an object (correlation, causation...)
  // A client-chosen UUID: appending a batch again with the same ids is a
  // no-op that returns what was recorded the first time.
  std::optional<std::string> event_id = std::nullopt;
};

// The payload and metadata come as PostgreSQL returns them, as JSON text,
// and are parsed only when asked for: a subscription delivers every event,
// and a handler usually looks inside few of them (by event_type first).
struct RecordedEvent {
  std::int64_t id = 0;        // global id, unique across the log
  std::uint64_t tx_id = 0;    // xid8 of the transaction that wrote it
  std::string aggregate_type;
  std::string aggregate_id;   // exactly as given to save()
  std::int64_t version = 0;   // 0-based position within the aggregate
  std::string event_type;
  // The payload (a JSON object) and metadata as JSON text: jsonb's normalised
  // form for events read from the store, the client's own serialisation for
  // those save() returns. Compare json(), not the text.
  std::string json_text;
  std::string metadata_text;  // empty when no metadata was given
  std::optional<std::string> event_id = std::nullopt;
  std::string created_at;     // ISO 8601 in UTC, e.g. 2026-11-23T13:28:28.203311Z

  Position position() const { return {tx_id, id}; }
  // Each call parses anew: keep the result when reading several fields.
  nlohmann::json json() const;      // null when json_text is empty
  nlohmann::json metadata() const;  // null when none was given
};

// The JSON line the CLI prints for an event: id, tx_id, position,
// aggregate_type, aggregate_id, version, event_type, json, metadata,
// event_id, created_at.
void to_json(nlohmann::json& out, const RecordedEvent& event);

}  // namespace meowmx

#endif  // MEOWMX_EVENT_H_

// Events: what a caller appends (NewEvent) and what the store returns (RecordedEvent).
#ifndef MEOWMX_EVENT_H_
#define MEOWMX_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "meowmx/position.h"

namespace meowmx {

// The payload goes either as a json value or as JSON text. Text is stored as
// written, every digit of every number kept; a json value holds its numbers
// as doubles or 64-bit integers, so it is exact only within those.
struct NewEvent {
  std::string event_type;
  nlohmann::json json = nlohmann::json::object();  // the payload; must be a JSON object
  nlohmann::json metadata = nullptr;                // null, or an object (correlation, causation...)
  // A client-chosen UUID: appending a batch again with the same ids is a
  // no-op that returns what was recorded the first time.
  std::optional<std::string> event_id = std::nullopt;
  // The payload as JSON text (an object), instead of `json`, which must then
  // stay the empty object. At most 512 levels deep; no number beyond a
  // double's range (about 1.8e308).
  std::optional<std::string> json_text = std::nullopt;
  // The metadata as JSON text (an object or null), instead of `metadata`,
  // which must then stay null.
  std::optional<std::string> metadata_text = std::nullopt;
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
  // The payload (a JSON object) and metadata as JSON text, every number
  // digit for digit: jsonb's text, as PostgreSQL prints it, for events read
  // from the store; for those save() returns, the caller's text (or the
  // serialised json value). Compare json(), not the text.
  std::string json_text;
  std::string metadata_text;  // empty when no metadata was given
  std::optional<std::string> event_id = std::nullopt;
  std::string created_at;     // ISO 8601 in UTC, e.g. 2026-11-23T13:28:28.203311Z

  Position position() const { return {tx_id, id}; }
  // Each call parses anew: keep the result when reading several fields.
  nlohmann::json json() const;      // null when json_text is empty
  nlohmann::json metadata() const;  // null when none was given
};

// The JSON line the CLI prints for an event, without the newline: keys
// aggregate_id, aggregate_type, created_at, event_id, event_type, id, json,
// metadata, position, tx_id, version, with json and metadata as their text
// (line breaks between tokens turned into spaces), so no digit is lost.
std::string json_line(const RecordedEvent& event);

}  // namespace meowmx

#endif  // MEOWMX_EVENT_H_

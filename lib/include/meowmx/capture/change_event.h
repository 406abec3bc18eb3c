// ChangeEvent: one row change captured from a table, as every change-capture
// source produces it and every sink consumes it.
//
// Its names follow meepo: `<table>_write`, `<table>_update`, `<table>_delete`
// (and `<table>_truncate`) carry the primary key; `<table>_<action>_raw`
// carries the whole event as JSON (see to_json()). `<table>` is the table's
// name, schema-qualified ("sales.orders") unless the schema is public.
#ifndef MEOWMX_CAPTURE_CHANGE_EVENT_H_
#define MEOWMX_CAPTURE_CHANGE_EVENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace meowmx {

enum class ChangeAction { kWrite, kUpdate, kDelete, kTruncate };

// "write", "update", "delete", "truncate".
std::string_view to_string(ChangeAction action);
// The reverse; throws InvalidArgument on anything else.
ChangeAction parse_change_action(std::string_view text);

// The signal sent once a source transaction has gone through every
// receiver. Its payload says where the stream is; a source acknowledges that
// position to the database only after this signal returns.
inline constexpr std::string_view kPositionSignal = "pub_position";

struct ChangeEvent {
  std::string table;  // signal prefix: "orders", or "sales.orders" outside the public schema
  ChangeAction action = ChangeAction::kWrite;
  // The primary key value, or a JSON array of values in key order for a
  // composite key; null for a truncate.
  nlohmann::json pk;
  // write: the new row. delete: the key columns, or the whole old row under
  // REPLICA IDENTITY FULL. Null for updates and truncates.
  nlohmann::json values;
  // update only: the old row under REPLICA IDENTITY FULL, else null.
  nlohmann::json before;
  // update only: the new row, without the columns listed in unchanged_toast.
  nlohmann::json after;
  // Columns whose value PostgreSQL did not send because it is stored out of
  // line (TOAST) and the update did not change it.
  std::vector<std::string> unchanged_toast;
  // Where the change sits in its source, unique and stable across
  // redeliveries: {"lsn": commit LSN, "index": n} for logical decoding,
  // {"xid": ..., "index": n} for triggers.
  nlohmann::json position;
  std::uint64_t xid = 0;    // the writing transaction
  std::string commit_time;  // ISO 8601 UTC; empty when the source does not know it

  // "orders_update".
  std::string name() const;
  // "orders_update_raw".
  std::string raw_name() const;
};

// The primary key as it appears after the event name in meepo's lines:
// numbers and strings bare, composite keys as compact JSON arrays.
std::string pk_text(const nlohmann::json& pk);

// meepo's line "orders_update 42" ("orders_truncate" alone, without a key).
std::string text_line(std::string_view name, const nlohmann::json& pk);
std::string text_line(const ChangeEvent& event);

// The raw payload: {"table", "action", "pk", "values" | "before"/"after",
// "unchanged_toast" (when not empty), "position", "xid", "commit_time"}.
void to_json(nlohmann::json& out, const ChangeEvent& event);
// Reads what to_json() wrote; throws InvalidArgument on anything else.
void from_json(const nlohmann::json& in, ChangeEvent& event);

// The signal prefix of a table name: "public.orders" and "orders" give
// "orders", "sales.orders" stays. Throws InvalidArgument unless the name is
// [schema.]table with each part a letter or '_' then letters, digits or '_'.
std::string table_signal_prefix(std::string_view table);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_CHANGE_EVENT_H_

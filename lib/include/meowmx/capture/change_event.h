// ChangeEvent: one row change captured from a table, as every source
// produces it and every sink consumes it, inside a Transaction.
//
// Names follow meepo: `<stem>_write`, `<stem>_update`, `<stem>_delete` (and
// `<stem>_truncate`) carry the primary key; the raw form carries the whole
// change as JSON (see to_json_text()).
#ifndef MEOWMX_CAPTURE_CHANGE_EVENT_H_
#define MEOWMX_CAPTURE_CHANGE_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/capture/position.h"
#include "meowmx/capture/table.h"
#include "meowmx/capture/value.h"

namespace meowmx {

enum class ChangeAction { kWrite, kUpdate, kDelete, kTruncate };

// "write", "update", "delete", "truncate".
std::string_view to_string(ChangeAction action);
// The reverse; throws InvalidArgument on anything else.
ChangeAction parse_change_action(std::string_view text);

// One source transaction, as sinks see it from begin() to commit().
struct Transaction {
  // Counts the transactions of one Pub::run() from 1: what an asynchronous
  // sink hands SinkMarks::done() when it really has the transaction.
  std::uint64_t sequence = 0;
  // At begin() as far as the source knows it then (the end of a PostgreSQL
  // commit record comes with the commit), complete at commit().
  TransactionPosition position;
  std::uint64_t xid = 0;
  std::string commit_time;  // ISO 8601 UTC, microseconds; empty when the source does not know it
};

struct ChangeEvent {
  const CapturedTable* table = nullptr;  // lives as long as the Pub::run() that sent it
  ChangeAction action = ChangeAction::kWrite;
  // Place within the transaction; with the transaction's position unique and
  // stable across redeliveries.
  std::int64_t index = 0;
  // The primary key values in key order; empty for a truncate.
  std::vector<Value> key;
  // Whole rows, only when a sink asked for rows of this table (Interest::kRows):
  // write: the new row; delete: the key columns, or the whole old row under
  //   REPLICA IDENTITY FULL;
  // update: `before` the old row under REPLICA IDENTITY FULL (else none),
  //   `after` the new row without the columns in unchanged_toast.
  std::optional<Row> values;
  std::optional<Row> before;
  std::optional<Row> after;
  // Columns PostgreSQL did not send because they are stored out of line
  // (TOAST) and the update did not change them.
  std::vector<std::string> unchanged_toast;

  // "orders_update".
  std::string name() const;
};

// The key after the event name in meepo's lines: a single value bare (its
// text), a composite key as a compact JSON array. A key that could be taken
// for another line or another form (control characters such as a newline, a
// leading '"' or '[', or an empty text) is written as a JSON string instead,
// so one change is always exactly one line.
std::string pk_text(const ChangeEvent& change);
// The key as JSON: the single value, or an array of the values in key order;
// null for a truncate.
std::string key_json(const ChangeEvent& change);

// meepo's line "orders_update 42" ("orders_truncate" alone, without a key).
// An event name with a space or a control character (a table named so) is
// written as a JSON string.
std::string text_line(const ChangeEvent& change);
// The same line for a change known only by its event name and a single text
// key (prepare-commit's touched()), quoted as text_line(change) would.
std::string text_line(std::string_view event, std::string_view pk);

// The raw form: {"table", "database" (MySQL), "action", "pk", "values" | "before"/"after",
// "unchanged_toast" (when not empty), "position", "xid", "commit_time"},
// with "table" the event stem and values as exact as the source sent them.
std::string to_json_text(const Transaction& transaction, const ChangeEvent& change);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_CHANGE_EVENT_H_

// Rows events: WRITE/UPDATE/DELETE_ROWS of MariaDB (v1, and compressed v1)
// and of MySQL 8 (v2, with its extra data and both bitmaps for updates),
// and the row images they hold, decoded with the table map that precedes
// them. Only the columns the image holds (the columns-present bitmaps) are
// in a decoded row: with binlog_row_image=MINIMAL or NOBLOB an absent column
// is absent, never NULL.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_ROWS_EVENT_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_ROWS_EVENT_H_

#include <mysql.h>
#include <mariadb_rpl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "capture/mariadb/table_map.h"
#include "meowmx/capture/change_event.h"

namespace meowmx::internal {

struct RowsEvent {
  ChangeAction action = ChangeAction::kWrite;
  std::uint64_t table_id = 0;
  std::uint64_t column_count = 0;
  std::string_view present;        // columns of the (before) image
  std::string_view present_after;  // columns of an update's after image
  std::string_view rows;           // the row images, back to back
};

// Whether `type` is a rows event this decoder reads.
bool is_rows_event(std::uint8_t type);

// Parses the body (no checksum) of an uncompressed rows event of `type`.
RowsEvent parse_rows_event(std::uint8_t type, std::string_view body);
// A compressed rows event as the library uncompressed it.
RowsEvent rows_event_from_library(const MARIADB_RPL_EVENT& event);

// One image: a value per column of the table map, nullopt for the columns
// the image does not hold.
using RowImage = std::vector<std::optional<Value>>;

// Decodes every row of `event` with `map`, calling `row` with the image of
// a write or delete (`before` empty for a write, `after` for a delete) or
// both images of an update; `row` may move the values out of the images.
// Throws Error when the event does not match the map or its bytes are
// malformed.
void decode_rows(const RowsEvent& event, const TableMap& map,
                 const std::function<void(RowImage* before, RowImage* after)>& row);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_ROWS_EVENT_H_

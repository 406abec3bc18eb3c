#include "capture/mariadb/rows_event.h"

#include "capture/mariadb/binlog_reader.h"
#include "capture/mariadb/column_values.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

ChangeAction action_of(std::uint8_t type) {
  switch (type) {
    case WRITE_ROWS_EVENT_V1:
    case WRITE_ROWS_EVENT:
    case WRITE_ROWS_COMPRESSED_EVENT_V1:
      return ChangeAction::kWrite;
    case UPDATE_ROWS_EVENT_V1:
    case UPDATE_ROWS_EVENT:
    case UPDATE_ROWS_COMPRESSED_EVENT_V1:
    case PARTIAL_UPDATE_ROWS_EVENT:
      return ChangeAction::kUpdate;
    default:
      return ChangeAction::kDelete;
  }
}

bool is_version2(std::uint8_t type) {
  return type == WRITE_ROWS_EVENT || type == UPDATE_ROWS_EVENT || type == DELETE_ROWS_EVENT ||
         type == PARTIAL_UPDATE_ROWS_EVENT;
}

std::size_t count_set(std::string_view bitmap, std::size_t bits) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < bits; ++i) count += bit_set(bitmap, i);
  return count;
}

void read_image(BinlogReader& in, const TableMap& map, std::string_view present, RowImage& image) {
  const std::size_t columns = map.columns.size();
  const auto nulls = in.take((count_set(present, columns) + 7) / 8);
  // Emptied and refilled rather than assign()ed, which copy-assigns every element.
  image.clear();
  image.resize(columns);
  std::size_t null_index = 0;
  for (std::size_t i = 0; i < columns; ++i) {
    if (!bit_set(present, i)) continue;
    if (bit_set(nulls, null_index++)) {
      image[i] = Value{};
    } else {
      image[i] = decode_column(map.columns[i], in);
    }
  }
}

}  // namespace

bool is_rows_event(std::uint8_t type) {
  switch (type) {
    case WRITE_ROWS_EVENT_V1:
    case UPDATE_ROWS_EVENT_V1:
    case DELETE_ROWS_EVENT_V1:
    case WRITE_ROWS_EVENT:
    case UPDATE_ROWS_EVENT:
    case DELETE_ROWS_EVENT:
    case WRITE_ROWS_COMPRESSED_EVENT_V1:
    case UPDATE_ROWS_COMPRESSED_EVENT_V1:
    case DELETE_ROWS_COMPRESSED_EVENT_V1:
      return true;
    default:
      return false;
  }
}

RowsEvent parse_rows_event(std::uint8_t type, std::string_view body) {
  BinlogReader in(body);
  RowsEvent event;
  event.action = action_of(type);
  event.table_id = in.uint_le(6);
  in.uint_le(2);  // flags
  if (is_version2(type)) {
    const auto extra = in.uint_le(2);  // counts its own two bytes
    if (extra < 2) throw Error("binlog: malformed rows event (extra data length)");
    in.take(extra - 2);
  }
  event.column_count = in.lenenc();
  const std::size_t bitmap = (event.column_count + 7) / 8;
  event.present = in.take(bitmap);
  event.present_after = event.action == ChangeAction::kUpdate ? in.take(bitmap) : event.present;
  event.rows = in.take(in.remaining());
  return event;
}

RowsEvent rows_event_from_library(const MARIADB_RPL_EVENT& library) {
  const auto& rows = library.event.rows;
  RowsEvent event;
  event.action = action_of(library.event_type);
  event.table_id = rows.table_id;
  event.column_count = rows.column_count;
  const std::size_t bitmap = (event.column_count + 7) / 8;
  event.present = std::string_view(reinterpret_cast<const char*>(rows.column_bitmap), bitmap);
  event.present_after = event.action == ChangeAction::kUpdate
                            ? std::string_view(reinterpret_cast<const char*>(rows.column_update_bitmap), bitmap)
                            : event.present;
  event.rows = std::string_view(static_cast<const char*>(rows.row_data), rows.row_data_size);
  return event;
}

void decode_rows(const RowsEvent& event, const TableMap& map,
                 const std::function<void(RowImage* before, RowImage* after)>& row) {
  if (event.column_count != map.columns.size()) {
    throw Error("binlog: a rows event of " + std::to_string(event.column_count) + " columns for table " +
                map.database + "." + map.table + " of " + std::to_string(map.columns.size()));
  }
  BinlogReader in(event.rows);
  RowImage first;
  RowImage second;
  while (!in.done()) {
    read_image(in, map, event.present, first);
    switch (event.action) {
      case ChangeAction::kWrite:
        row(nullptr, &first);
        break;
      case ChangeAction::kDelete:
        row(&first, nullptr);
        break;
      default:
        read_image(in, map, event.present_after, second);
        row(&first, &second);
        break;
    }
  }
}

}  // namespace meowmx::internal

#include "capture/mariadb/table_map.h"

#include <mysql.h>

#include "capture/mariadb/binlog_reader.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// The optional metadata's field types (MySQL's Table_map_log_event).
enum OptionalField : std::uint8_t {
  kSignedness = 1,
  kDefaultCharset = 2,
  kColumnCharset = 3,
  kColumnName = 4,
  kSetStrValue = 5,
  kEnumStrValue = 6,
  kGeometryType = 7,
  kSimplePrimaryKey = 8,
  kPrimaryKeyWithPrefix = 9,
  kEnumAndSetDefaultCharset = 10,
  kEnumAndSetColumnCharset = 11,
};

std::size_t metadata_size(std::uint8_t type) {
  switch (type) {
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_TIME2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIMESTAMP2:
      return 1;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_BIT:
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET:
      return 2;
    default:
      return 0;
  }
}

void read_metadata(BinlogReader& in, BinlogColumn& column) {
  const std::size_t size = metadata_size(column.type);
  if (size == 1) {
    column.meta = in.u8();
  } else if (column.type == MYSQL_TYPE_VARCHAR || column.type == MYSQL_TYPE_VAR_STRING) {
    column.meta = static_cast<std::uint16_t>(in.uint_le(2));
  } else if (size == 2) {
    // Two bytes in writing order: (real type, length) for STRING, (precision,
    // scale) for DECIMAL, (bits % 8, bytes) for BIT.
    column.meta = static_cast<std::uint16_t>(in.uint_be(2));
  }
  if (column.type == MYSQL_TYPE_STRING) {
    // The real type is in the first byte; a CHAR longer than 255 bytes keeps
    // its length's high bits there too, flipped (see string_length()).
    const std::uint8_t byte0 = column.meta >> 8;
    const std::uint8_t real_type = (byte0 & 0x30) != 0x30 ? (byte0 | 0x30) : byte0;
    if (real_type == MYSQL_TYPE_ENUM || real_type == MYSQL_TYPE_SET) column.type = real_type;
  }
}

template <class Pick>
std::vector<BinlogColumn*> columns_where(TableMap& map, Pick pick) {
  std::vector<BinlogColumn*> out;
  for (auto& column : map.columns) {
    if (pick(column)) out.push_back(&column);
  }
  return out;
}

// DEFAULT_CHARSET: a default collation, then (index, collation) pairs for
// the columns that differ. COLUMN_CHARSET: one collation per column.
void read_default_charset(BinlogReader field, const std::vector<BinlogColumn*>& columns) {
  const auto fallback = static_cast<std::uint32_t>(field.lenenc());
  for (auto* column : columns) column->collation = fallback;
  while (!field.done()) {
    const auto index = field.lenenc();
    const auto collation = static_cast<std::uint32_t>(field.lenenc());
    if (index < columns.size()) columns[index]->collation = collation;
  }
}

void read_column_charsets(BinlogReader field, const std::vector<BinlogColumn*>& columns) {
  for (auto* column : columns) {
    if (field.done()) break;
    column->collation = static_cast<std::uint32_t>(field.lenenc());
  }
}

void read_elements(BinlogReader field, const std::vector<BinlogColumn*>& columns) {
  for (auto* column : columns) {
    if (field.done()) break;
    const auto count = field.lenenc();
    column->elements.clear();
    for (std::uint64_t i = 0; i < count; ++i) column->elements.emplace_back(field.lenenc_bytes());
  }
}

void read_optional_metadata(BinlogReader& in, TableMap& map, BinlogFlavour flavour) {
  auto numeric = columns_where(map, [](const BinlogColumn& c) { return is_numeric_type(c.type); });
  auto character = columns_where(map, [&](const BinlogColumn& c) { return is_character_type(c.type, flavour); });
  auto enums = columns_where(map, [](const BinlogColumn& c) { return c.type == MYSQL_TYPE_ENUM; });
  auto sets = columns_where(map, [](const BinlogColumn& c) { return c.type == MYSQL_TYPE_SET; });
  auto enums_and_sets =
      columns_where(map, [](const BinlogColumn& c) { return c.type == MYSQL_TYPE_ENUM || c.type == MYSQL_TYPE_SET; });
  while (!in.done()) {
    const std::uint8_t kind = in.u8();
    BinlogReader field(in.lenenc_bytes());
    switch (kind) {
      case kSignedness: {
        const auto bits = field.take(field.remaining());
        for (std::size_t i = 0; i < numeric.size() && i / 8 < bits.size(); ++i) {
          numeric[i]->is_unsigned = (static_cast<unsigned char>(bits[i / 8]) >> (7 - i % 8)) & 1;
        }
        break;
      }
      case kDefaultCharset:
        read_default_charset(field, character);
        break;
      case kColumnCharset:
        read_column_charsets(field, character);
        break;
      case kEnumAndSetDefaultCharset:
        read_default_charset(field, enums_and_sets);
        break;
      case kEnumAndSetColumnCharset:
        read_column_charsets(field, enums_and_sets);
        break;
      case kColumnName:
        for (auto& column : map.columns) column.name = std::string(field.lenenc_bytes());
        map.has_column_names = true;
        break;
      case kEnumStrValue:
        read_elements(field, enums);
        break;
      case kSetStrValue:
        read_elements(field, sets);
        break;
      case kSimplePrimaryKey:
        while (!field.done()) map.primary_key.push_back(field.lenenc());
        break;
      case kPrimaryKeyWithPrefix:
        while (!field.done()) {
          map.primary_key.push_back(field.lenenc());
          field.lenenc();  // the prefix length: the key's value is the whole column
        }
        break;
      default:  // GEOMETRY_TYPE and fields of newer servers: not needed
        break;
    }
  }
  for (const auto index : map.primary_key) {
    if (index >= map.columns.size()) throw Error("binlog: a table map's primary key names a missing column");
  }
}

}  // namespace

bool is_numeric_type(std::uint8_t type) {
  switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_NEWDECIMAL:
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_DECIMAL:
      return true;
    default:
      return false;
  }
}

bool is_character_type(std::uint8_t type, BinlogFlavour flavour) {
  switch (type) {
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
      return true;
    case MYSQL_TYPE_GEOMETRY:
      return flavour == BinlogFlavour::kMariaDb;
    default:
      return false;
  }
}

TableMap parse_table_map(std::string_view body, BinlogFlavour flavour) {
  BinlogReader in(body);
  TableMap map;
  map.table_id = in.uint_le(6);
  in.uint_le(2);  // flags
  map.database = std::string(in.take(in.u8()));
  in.u8();  // NUL
  map.table = std::string(in.take(in.u8()));
  in.u8();  // NUL
  const auto count = in.lenenc();
  const auto types = in.take(count);
  map.columns.resize(count);
  for (std::size_t i = 0; i < count; ++i) map.columns[i].type = static_cast<std::uint8_t>(types[i]);
  BinlogReader metadata(in.lenenc_bytes());
  for (auto& column : map.columns) read_metadata(metadata, column);
  const auto nullable = in.take((count + 7) / 8);
  for (std::size_t i = 0; i < count; ++i) map.columns[i].nullable = bit_set(nullable, i);
  read_optional_metadata(in, map, flavour);
  return map;
}

}  // namespace meowmx::internal

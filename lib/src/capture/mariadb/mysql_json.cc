#include "capture/mariadb/mysql_json.h"

#include <mysql.h>

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>

#include "capture/mariadb/binlog_reader.h"
#include "capture/mariadb/column_values.h"
#include "common/base64.h"
#include "common/json_string.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

enum JsonType : std::uint8_t {
  kSmallObject = 0x00,
  kLargeObject = 0x01,
  kSmallArray = 0x02,
  kLargeArray = 0x03,
  kLiteral = 0x04,
  kInt16 = 0x05,
  kUint16 = 0x06,
  kInt32 = 0x07,
  kUint32 = 0x08,
  kInt64 = 0x09,
  kUint64 = 0x0A,
  kDouble = 0x0B,
  kString = 0x0C,
  kOpaque = 0x0F,
};

[[noreturn]] void malformed() { throw Error("binlog: malformed MySQL binary JSON"); }

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  // The value of `type` whose bytes start at `data`.
  void value(std::uint8_t type, std::string_view data) {
    BinlogReader in(data);
    switch (type) {
      case kSmallObject:
      case kLargeObject:
        container(data, type == kLargeObject, true);
        break;
      case kSmallArray:
      case kLargeArray:
        container(data, type == kLargeArray, false);
        break;
      case kLiteral:
        literal(in.u8());
        break;
      case kInt16:
        out_ += std::to_string(static_cast<std::int16_t>(in.uint_le(2)));
        break;
      case kUint16:
        out_ += std::to_string(in.uint_le(2));
        break;
      case kInt32:
        out_ += std::to_string(static_cast<std::int32_t>(in.uint_le(4)));
        break;
      case kUint32:
        out_ += std::to_string(in.uint_le(4));
        break;
      case kInt64:
        out_ += std::to_string(static_cast<std::int64_t>(in.uint_le(8)));
        break;
      case kUint64:
        out_ += std::to_string(in.uint_le(8));
        break;
      case kDouble: {
        std::array<char, 32> text{};
        const auto end = std::to_chars(text.data(), text.data() + text.size(), std::bit_cast<double>(in.uint_le(8))).ptr;
        out_.append(text.data(), end);
        break;
      }
      case kString:
        append_json_string(out_, in.take(variable_length(in)));
        break;
      case kOpaque:
        opaque(in);
        break;
      default:
        malformed();
    }
  }

 private:
  // Lengths of strings and opaque values: 7 bits a byte, lowest first.
  static std::uint64_t variable_length(BinlogReader& in) {
    std::uint64_t length = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      const std::uint8_t byte = in.u8();
      length |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return length;
    }
    malformed();
  }

  void literal(std::uint8_t code) {
    if (code > 2) malformed();
    out_ += code == 0 ? "null" : code == 1 ? "true" : "false";
  }

  // Scalars that fit in an entry's offset field are stored there.
  static bool inlined(std::uint8_t type, bool large) {
    return type == kLiteral || type == kInt16 || type == kUint16 || (large && (type == kInt32 || type == kUint32));
  }

  void container(std::string_view data, bool large, bool object) {
    const std::size_t word = large ? 4 : 2;
    BinlogReader header(data);
    const auto count = header.uint_le(word);
    const auto size = header.uint_le(word);
    if (size > data.size()) malformed();
    const std::size_t key_entry = word + 2;
    const std::size_t value_entry = 1 + word;
    const std::size_t keys_at = 2 * word;
    const std::size_t values_at = keys_at + (object ? count * key_entry : 0);
    if (values_at + count * value_entry > size) malformed();
    out_ += object ? '{' : '[';
    for (std::uint64_t i = 0; i < count; ++i) {
      if (i > 0) out_ += ',';
      if (object) {
        BinlogReader key(data.substr(keys_at + i * key_entry, key_entry));
        const auto offset = key.uint_le(word);
        const auto length = key.uint_le(2);
        if (offset + length > size) malformed();
        append_json_string(out_, data.substr(offset, length));
        out_ += ':';
      }
      BinlogReader entry(data.substr(values_at + i * value_entry, value_entry));
      const std::uint8_t type = entry.u8();
      if (inlined(type, large)) {
        value(type, data.substr(values_at + i * value_entry + 1, word));
      } else {
        const auto offset = entry.uint_le(word);
        if (offset >= size) malformed();
        value(type, data.substr(offset, size - offset));
      }
    }
    out_ += object ? '}' : ']';
  }

  void opaque(BinlogReader& in) {
    const std::uint8_t field_type = in.u8();
    const auto bytes = in.take(variable_length(in));
    if (field_type == MYSQL_TYPE_NEWDECIMAL && bytes.size() >= 2) {
      BinlogColumn column;
      column.type = MYSQL_TYPE_NEWDECIMAL;
      column.meta = static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[0]) << 8) |
                                               static_cast<unsigned char>(bytes[1]));
      BinlogReader digits(bytes.substr(2));
      out_ += decode_column(column, digits).text;
      return;
    }
    append_json_string(out_, base64_encode(bytes));
  }

  std::string& out_;
};

}  // namespace

std::string mysql_json_to_text(std::string_view binary) {
  if (binary.empty()) return "null";
  std::string out;
  JsonWriter(out).value(static_cast<std::uint8_t>(binary[0]), binary.substr(1));
  return out;
}

}  // namespace meowmx::internal

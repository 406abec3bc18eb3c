#include "capture/mariadb/binlog_reader.h"

#include <string>

#include "meowmx/error.h"

namespace meowmx::internal {

std::string_view BinlogReader::take(std::size_t size) {
  if (size > remaining()) {
    throw Error("binlog: malformed event (needs " + std::to_string(size) + " bytes at offset " +
                std::to_string(at_) + ", has " + std::to_string(remaining()) + ")");
  }
  const auto out = bytes_.substr(at_, size);
  at_ += size;
  return out;
}

std::uint64_t BinlogReader::uint_le(std::size_t size) {
  const auto bytes = take(size);
  std::uint64_t value = 0;
  for (std::size_t i = size; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::uint64_t BinlogReader::uint_be(std::size_t size) {
  const auto bytes = take(size);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::uint64_t BinlogReader::lenenc() {
  const std::uint8_t first = u8();
  if (first < 0xFB) return first;
  if (first == 0xFC) return uint_le(2);
  if (first == 0xFD) return uint_le(3);
  if (first == 0xFE) return uint_le(8);
  throw Error("binlog: malformed length-encoded integer");
}

std::string uuid_text(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

}  // namespace meowmx::internal

// BinlogReader: reads the fields of a binlog event's bytes (little-endian
// integers, MySQL's length-encoded integers and strings, and the big-endian
// packings of temporal and decimal values, UUIDs). Reading past the end throws
// Error, so a malformed event fails loudly instead of reading garbage.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_READER_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace meowmx::internal {

class BinlogReader {
 public:
  explicit BinlogReader(std::string_view bytes) : bytes_(bytes) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  // `size` bytes (1..8), least significant first.
  std::uint64_t uint_le(std::size_t size);
  // `size` bytes (1..8), most significant first.
  std::uint64_t uint_be(std::size_t size);
  // A length-encoded integer (1, 3, 4 or 9 bytes).
  std::uint64_t lenenc();
  std::string_view lenenc_bytes() { return take(lenenc()); }
  std::string_view take(std::size_t size);

  std::size_t remaining() const noexcept { return bytes_.size() - at_; }
  bool done() const noexcept { return at_ == bytes_.size(); }
  std::size_t offset() const noexcept { return at_; }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

// Bit `index` of a binlog bitmap (bit 0 is the least significant of byte 0).
inline bool bit_set(std::string_view bitmap, std::size_t index) {
  return (static_cast<unsigned char>(bitmap[index / 8]) >> (index % 8)) & 1;
}

// A 16-byte UUID field as text: lowercase hex in groups of 8-4-4-4-12, as
// MariaDB prints its UUID type and MySQL the server UUID of a GTID.
std::string uuid_text(std::string_view bytes);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_READER_H_

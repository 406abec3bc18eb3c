// Wire: the binary encoding of the replication protocol and pgoutput:
// big-endian integers, NUL-terminated strings, and times counted in
// microseconds since 2000-01-01 UTC.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_WIRE_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace meowmx::internal::wire {

void append_uint64(std::string& out, std::uint64_t value);

// Now, in the server's time unit.
std::int64_t now_postgres_micros();
// "2024-05-01T12:00:00.123456Z".
std::string postgres_time_iso(std::int64_t micros);

// Reads a message front to back; throws Error when it runs short.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(number(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(number(4)); }
  std::uint64_t u64() { return number(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(number(8)); }
  std::string_view cstring();
  std::string_view take(std::size_t size);

 private:
  std::uint64_t number(std::size_t size);
  std::string_view data_;
};

}  // namespace meowmx::internal::wire

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_WIRE_H_

#include "capture/postgres/wire.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "meowmx/error.h"

namespace meowmx::internal::wire {
namespace {

// Seconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00:00 UTC.
constexpr std::int64_t kPostgresEpochUnixSeconds = 946684800;

[[noreturn]] void short_message() { throw Error("malformed replication message: it ends too early"); }

}  // namespace

void append_uint64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

std::int64_t now_postgres_micros() {
  const auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return since_unix.count() - kPostgresEpochUnixSeconds * 1000000;
}

std::string postgres_time_iso(std::int64_t micros) {
  std::int64_t seconds = micros / 1000000;
  std::int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  const std::time_t unix_seconds = static_cast<std::time_t>(seconds + kPostgresEpochUnixSeconds);
  std::tm utc{};
  gmtime_r(&unix_seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(fraction));
  return text;
}

std::string_view Reader::cstring() {
  const auto end = data_.find('\0');
  if (end == std::string_view::npos) short_message();
  const auto text = data_.substr(0, end);
  data_.remove_prefix(end + 1);
  return text;
}

std::string_view Reader::take(std::size_t size) {
  if (data_.size() < size) short_message();
  const auto bytes = data_.substr(0, size);
  data_.remove_prefix(size);
  return bytes;
}

std::uint64_t Reader::number(std::size_t size) {
  const auto bytes = take(size);
  std::uint64_t value = 0;
  for (char byte : bytes) value = (value << 8) | static_cast<std::uint8_t>(byte);
  return value;
}

}  // namespace meowmx::internal::wire

#include "meowmx/redis/redis_time.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "meowmx/error.h"

namespace meowmx {

RedisTime redis_now() { return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now()); }

RedisTime parse_redis_time(std::string_view seconds) {
  const auto bad = [&] {
    return InvalidArgument("'" + std::string(seconds.substr(0, 40)) +
                           "' is not a time in seconds since 1970 (e.g. 1733011200 or 1733011200.123)");
  };
  const std::size_t dot = seconds.find('.');
  const std::string_view whole = seconds.substr(0, dot);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
  if (whole.empty() || error != std::errc() || end != whole.data() + whole.size() || value < 0 ||
      value > 253402300799) {  // 9999-12-31T23:59:59Z
    throw bad();
  }
  std::int64_t millis = value * 1000;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = seconds.substr(dot + 1);
    if (fraction.empty()) throw bad();
    std::int64_t scale = 100;
    for (char digit : fraction) {
      if (digit < '0' || digit > '9') throw bad();
      millis += (digit - '0') * scale;
      scale /= 10;
    }
  }
  return RedisTime(std::chrono::milliseconds(millis));
}

std::string format_redis_time(RedisTime time) {
  const std::int64_t millis = time.time_since_epoch().count();
  std::string fraction = std::to_string(millis % 1000);
  return std::to_string(millis / 1000) + "." + std::string(3 - fraction.size(), '0') + fraction;
}

RedisTime redis_time_from_score(std::string_view score) {
  const std::string text(score);
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(seconds)) {
    throw Error("redis: the score '" + text.substr(0, 40) + "' is not a time");
  }
  return RedisTime(std::chrono::milliseconds(std::llround(seconds * 1000)));
}

}  // namespace meowmx

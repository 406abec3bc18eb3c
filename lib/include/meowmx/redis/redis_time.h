// RedisTime: the time of a change as the Redis store keeps it, a UTC instant
// to the millisecond. Scores are these times in seconds with a millisecond
// fraction ("1733011200.123"), and each key's namespace is formatted from
// the same instant, so a change near midnight lands in the day of its score.
#ifndef MEOWMX_REDIS_REDIS_TIME_H_
#define MEOWMX_REDIS_REDIS_TIME_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace meowmx {

using RedisTime = std::chrono::sys_time<std::chrono::milliseconds>;

// Where "now" comes from; tests inject a fixed clock.
using RedisClock = std::function<RedisTime()>;

// The system clock, truncated to milliseconds.
RedisTime redis_now();

// Seconds since the Unix epoch, with up to three fraction digits: "1733011200",
// "1733011200.5", "1733011200.123". Further digits are truncated (meepo's
// writers pass time.time()). Throws InvalidArgument for anything else.
RedisTime parse_redis_time(std::string_view seconds);

// The score text: "1733011200.123" (always three fraction digits).
std::string format_redis_time(RedisTime time);

// A score as Redis returns it ("1733011200.1229999"), rounded to the
// millisecond. Throws Error when it is no number.
RedisTime redis_time_from_score(std::string_view score);

}  // namespace meowmx

#endif  // MEOWMX_REDIS_REDIS_TIME_H_

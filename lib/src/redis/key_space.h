// KeySpace: the Redis store's key names. A namespace is a strftime pattern
// formatted in UTC at a change's time (or a fixed string), and a key is
// "<namespace>:<event>", as meepo named them.
#ifndef MEOWMX_SRC_REDIS_KEY_SPACE_H_
#define MEOWMX_SRC_REDIS_KEY_SPACE_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/redis/redis_time.h"

namespace meowmx::internal {

class KeySpace {
 public:
  // Throws InvalidArgument for an empty pattern or one finer than a minute.
  explicit KeySpace(std::string pattern);

  std::string namespace_at(RedisTime time) const;
  std::string key(std::string_view event, RedisTime time) const;
  // The distinct namespaces of the instants in [from, to], in time order.
  // Throws InvalidArgument when that is more than a million steps.
  std::vector<std::string> namespaces_between(RedisTime from, RedisTime to) const;

 private:
  std::string pattern_;
  bool fixed_;
  // The finest unit the pattern formats: one namespace cannot be shorter.
  std::chrono::minutes step_;
};

// "orders_update": checked not empty (InvalidArgument names `what`).
void check_event_name(std::string_view event);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REDIS_KEY_SPACE_H_

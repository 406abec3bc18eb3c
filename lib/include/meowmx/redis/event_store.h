// RedisEventStore: meepo's Redis event store, answering "which primary keys
// of this table changed since T, and when did pk X last change".
//
// One sorted set per namespace and event name, key "<namespace>:<event>"
// ("meowmx:es:20261201:orders_update"), member = the primary key's text,
// score = the time of its last change (UTC seconds with a millisecond
// fraction). An add only moves a score forward (ZADD GT), so replaying old
// changes never undoes newer ones. The namespace is formatted from the same
// UTC instant as the score, and every key written gets the store's TTL.
//
//   meowmx::RedisEventStore store({.connection = {.url = "redis://127.0.0.1:6379"}});
//   store.add("orders_update", "42");
//   for (const auto& key : store.replay("orders_update", since)) ...
#ifndef MEOWMX_REDIS_EVENT_STORE_H_
#define MEOWMX_REDIS_EVENT_STORE_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/redis/connection_options.h"
#include "meowmx/redis/redis_time.h"

namespace meowmx {

struct RedisEventStoreOptions {
  RedisConnectionOptions connection;
  // A strftime pattern formatted in UTC (per day by default), or a fixed
  // string without '%'. meepo's readers use "meepo:redis_es:%Y%m%d".
  // Patterns finer than a minute (%S, %s, %T, ...) are refused.
  std::string namespace_pattern = "meowmx:es:%Y%m%d";
  // Set on every key written, from its last write; at least one second.
  std::chrono::seconds ttl{3 * 24 * 3600};
  // "now" for add() without a time, and the default ends of ranges.
  RedisClock clock = redis_now;
};

// A primary key as replay() gives it, with the time of its last change.
struct StoredKey {
  std::string pk;
  RedisTime time;

  bool operator==(const StoredKey&) const = default;
};

class RedisEventStore {
 public:
  // Connects at once; throws InvalidArgument for bad options, ConnectionError
  // when Redis cannot be reached.
  explicit RedisEventStore(RedisEventStoreOptions options);
  ~RedisEventStore();
  RedisEventStore(RedisEventStore&&) noexcept;
  RedisEventStore& operator=(RedisEventStore&&) noexcept;

  // The key of `event` in the namespace of `time`.
  std::string key(std::string_view event, RedisTime time) const;

  // Records that `pk` changed at `time` (default: the clock's now): the
  // score moves forward only. True when the score was set or moved.
  // Throws InvalidArgument for an empty event name, ConnectionError when the
  // connection is lost (the next call reconnects), Error for Redis errors.
  bool add(std::string_view event, std::string_view pk, std::optional<RedisTime> time = std::nullopt);

  // The keys whose last change in [from, to] (inclusive; `to` defaults to
  // now) is in the store, over every namespace the range spans, in the order
  // of their times. A key changed in several namespaces comes once, with its
  // latest time. Throws InvalidArgument when `to` is before `from` or the
  // range spans more than a million namespace steps (minutes or hours).
  std::vector<StoredKey> replay(std::string_view event, RedisTime from, std::optional<RedisTime> to = std::nullopt);

  // When `pk` last changed at or after `since`, looking in every namespace
  // from `since` to now; nullopt when it did not (or has expired).
  std::optional<RedisTime> query(std::string_view event, std::string_view pk, RedisTime since);

  // Removes the key of `event` in the namespace of `time`; true when it existed.
  bool clear(std::string_view event, RedisTime time);

  const RedisEventStoreOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meowmx

#endif  // MEOWMX_REDIS_EVENT_STORE_H_

#include "meowmx/redis/event_store.h"

#include <algorithm>
#include <unordered_map>

#include "meowmx/error.h"
#include "redis/connection.h"
#include "redis/key_space.h"
#include "redis/store_commands.h"

namespace meowmx {

struct RedisEventStore::Impl {
  explicit Impl(RedisEventStoreOptions o)
      : options(std::move(o)), keys(options.namespace_pattern), redis(connect(options)) {}

  static internal::RedisConnection connect(const RedisEventStoreOptions& options) {
    if (options.ttl < std::chrono::seconds(1)) throw InvalidArgument("the Redis store's TTL must be at least 1 s");
    if (!options.clock) throw InvalidArgument("the Redis store needs a clock");
    return internal::RedisConnection(options.connection.url, options.connection.timeout);
  }

  RedisEventStoreOptions options;
  internal::KeySpace keys;
  internal::RedisConnection redis;
};

RedisEventStore::RedisEventStore(RedisEventStoreOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
RedisEventStore::~RedisEventStore() = default;
RedisEventStore::RedisEventStore(RedisEventStore&&) noexcept = default;
RedisEventStore& RedisEventStore::operator=(RedisEventStore&&) noexcept = default;

const RedisEventStoreOptions& RedisEventStore::options() const noexcept { return impl_->options; }

std::string RedisEventStore::key(std::string_view event, RedisTime time) const {
  return impl_->keys.key(event, time);
}

bool RedisEventStore::add(std::string_view event, std::string_view pk, std::optional<RedisTime> time) {
  internal::check_event_name(event);
  const RedisTime at = time.value_or(impl_->options.clock());
  const std::string key = impl_->keys.key(event, at);
  auto& redis = impl_->redis;
  redis.append({"MULTI"});
  const std::size_t queued =
      internal::queue_adds(redis, impl_->keys, {{std::string(event), std::string(pk)}}, at, impl_->options.ttl);
  redis.append({"EXEC"});
  const internal::RedisReply exec = internal::read_transaction(redis, "adding to " + key, queued);
  return exec.size() > 0 && exec.element_integer(0) > 0;
}

std::vector<StoredKey> RedisEventStore::replay(std::string_view event, RedisTime from, std::optional<RedisTime> to) {
  internal::check_event_name(event);
  const RedisTime end = to.value_or(impl_->options.clock());
  if (end < from) throw InvalidArgument("the replay range ends before it starts");
  const std::vector<std::string> namespaces = impl_->keys.namespaces_between(from, end);
  auto& redis = impl_->redis;
  const std::string min = format_redis_time(from);
  const std::string max = format_redis_time(end);
  for (const std::string& space : namespaces) {
    redis.append({"ZRANGEBYSCORE", space + ":" + std::string(event), min, max, "WITHSCORES"});
  }
  std::vector<StoredKey> found;
  std::unordered_map<std::string, std::size_t> latest;  // pk -> its index in `found`
  const std::string what = "replaying " + std::string(event);
  std::optional<internal::RedisReply> refused;
  for (std::size_t k = 0; k < namespaces.size(); ++k) {
    internal::RedisReply reply = redis.next_reply(what);
    if (reply.is_error()) {
      if (!refused) refused.emplace(std::move(reply));
      continue;  // read the rest: the pipeline stays in step
    }
    for (std::size_t i = 0; i + 1 < reply.size(); i += 2) {
      StoredKey stored{std::string(reply.element_text(i)), redis_time_from_score(reply.element_text(i + 1))};
      const auto [place, added] = latest.try_emplace(stored.pk, found.size());
      if (added) {
        found.push_back(std::move(stored));
      } else if (found[place->second].time < stored.time) {
        found[place->second].time = stored.time;
      }
    }
  }
  if (refused) redis.check(what, *refused);
  std::stable_sort(found.begin(), found.end(), [](const StoredKey& a, const StoredKey& b) { return a.time < b.time; });
  return found;
}

std::optional<RedisTime> RedisEventStore::query(std::string_view event, std::string_view pk, RedisTime since) {
  internal::check_event_name(event);
  const RedisTime now = std::max(since, impl_->options.clock());
  auto& redis = impl_->redis;
  const std::vector<std::string> namespaces = impl_->keys.namespaces_between(since, now);
  for (const std::string& space : namespaces) redis.append({"ZSCORE", space + ":" + std::string(event), pk});
  std::optional<RedisTime> last;
  const std::string what = "querying " + std::string(event);
  std::optional<internal::RedisReply> refused;
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    internal::RedisReply reply = redis.next_reply(what);
    if (reply.is_error()) {
      if (!refused) refused.emplace(std::move(reply));
      continue;
    }
    if (reply.is_nil()) continue;
    const RedisTime time = redis_time_from_score(reply.text());
    if (time >= since && (!last || *last < time)) last = time;
  }
  if (refused) redis.check(what, *refused);
  return last;
}

bool RedisEventStore::clear(std::string_view event, RedisTime time) {
  internal::check_event_name(event);
  const std::string key = impl_->keys.key(event, time);
  return impl_->redis.command("clearing " + key, {"DEL", key}).integer() > 0;
}

}  // namespace meowmx

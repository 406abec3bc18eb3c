#include "redis/store_commands.h"

#include <optional>
#include <set>

#include "meowmx/error.h"

namespace meowmx::internal {

std::size_t queue_adds(RedisConnection& redis, const KeySpace& keys, const std::vector<StoreAdd>& adds,
                       RedisTime time, std::chrono::seconds ttl) {
  const std::string score = format_redis_time(time);
  const std::string seconds = std::to_string(ttl.count());
  std::set<std::string> touched;
  for (const StoreAdd& add : adds) {
    std::string key = keys.key(add.event, time);
    redis.append({"ZADD", key, "GT", "CH", score, add.pk});
    touched.insert(std::move(key));
  }
  // The TTL counts from each key's last write.
  for (const std::string& key : touched) redis.append({"EXPIRE", key, seconds});
  return adds.size() + touched.size();
}

RedisReply read_transaction(RedisConnection& redis, std::string_view what, std::size_t queued) {
  redis.check(what, redis.next_reply(what));  // MULTI
  // Read every QUEUED reply before failing, so the pipeline stays in step.
  std::optional<RedisReply> refused;
  for (std::size_t i = 0; i < queued; ++i) {
    RedisReply reply = redis.next_reply(what);
    if (reply.is_error() && !refused) refused.emplace(std::move(reply));
  }
  RedisReply exec = redis.next_reply(what);
  if (refused) redis.check(what, *refused);
  redis.check(what, exec);
  if (exec.is_nil()) throw Error("redis " + redis.server() + ": " + std::string(what) + ": the transaction was aborted");
  for (std::size_t i = 0; i < exec.size(); ++i) redis.check(what, exec.element(i));
  return exec;
}

}  // namespace meowmx::internal

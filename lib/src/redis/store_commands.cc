#include "redis/store_commands.h"

#include <optional>
#include <algorithm>
#include <utility>

#include "meowmx/error.h"

namespace meowmx::internal {

std::size_t queue_adds(RedisConnection& redis, const KeySpace& keys, const std::vector<StoreAdd>& adds,
                       RedisTime time, std::chrono::seconds ttl) {
  const std::string score = format_redis_time(time);
  const std::string seconds = std::to_string(ttl.count());
  // One ZADD per event with all its members (they share the score), in the
  // order the events first came: a few commands per transaction, not one per change.
  std::vector<std::pair<std::string_view, RedisArgv>> commands;
  for (const StoreAdd& add : adds) {
    auto command = std::find_if(commands.rbegin(), commands.rend(),
                                [&](const auto& queued) { return queued.first == add.event; });
    RedisArgv* argv = nullptr;
    if (command == commands.rend()) {
      commands.emplace_back(add.event, RedisArgv{"ZADD", "", "GT", "CH"});
      argv = &commands.back().second;
    } else {
      argv = &command->second;
    }
    argv->push_back(score);
    argv->push_back(add.pk);
  }
  std::vector<std::string> touched;
  touched.reserve(commands.size());
  for (auto& [event, argv] : commands) {
    touched.push_back(keys.key(event, time));
    argv[1] = touched.back();
    redis.append(argv);
  }
  // The TTL counts from each key's last write.
  for (const std::string& key : touched) redis.append({"EXPIRE", key, seconds});
  return commands.size() * 2;
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

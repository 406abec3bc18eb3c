// The Redis store's writes, queued on a pipeline inside a MULTI/EXEC: what
// RedisEventStore::add, the redis sink and prepare-commit all send, so they
// keep the same keys the same way.
#ifndef MEOWMX_SRC_REDIS_STORE_COMMANDS_H_
#define MEOWMX_SRC_REDIS_STORE_COMMANDS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/redis/redis_time.h"
#include "redis/connection.h"
#include "redis/key_space.h"

namespace meowmx::internal {

struct StoreAdd {
  std::string event;  // "orders_update"
  std::string pk;
};

// Queues ZADD <key> GT CH <score> <pk>... per event, with the members of
// its adds (the scores only move forward), and EXPIRE <key> <ttl> per key,
// all at `time`; returns how many commands it queued.
std::size_t queue_adds(RedisConnection& redis, const KeySpace& keys, const std::vector<StoreAdd>& adds,
                       RedisTime time, std::chrono::seconds ttl);

// Reads the replies of MULTI, `queued` commands and EXEC; returns EXEC's
// reply after checking every one of them (`what` names the write).
RedisReply read_transaction(RedisConnection& redis, std::string_view what, std::size_t queued);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REDIS_STORE_COMMANDS_H_

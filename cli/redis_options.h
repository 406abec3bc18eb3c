// The flags every Redis command shares (redis-store, redis-recover, and
// `pub --sink redis`): where Redis is, and how the store names its keys.
#ifndef MEOWMX_CLI_REDIS_OPTIONS_H_
#define MEOWMX_CLI_REDIS_OPTIONS_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "meowmx/redis_store.h"

namespace meowmx::cli {

struct RedisFlags {
  std::string url;  // --redis-url, else $MEOWMX_REDIS_URL, else redis://127.0.0.1:6379
  std::string namespace_pattern = RedisEventStoreOptions{}.namespace_pattern;
  std::int64_t ttl_seconds = RedisEventStoreOptions{}.ttl.count();

  RedisConnectionOptions connection() const;
  // The store's options from the flags.
  RedisEventStoreOptions store() const;
};

// --redis-url on `command` (a subcommand or an option group), --namespace and --ttl with
// `prefix` before their names ("--redis-namespace" in pub, where the other
// sinks' flags sit beside them).
void add_redis_flags(CLI::App& command, RedisFlags& flags, const std::string& prefix = "");

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_REDIS_OPTIONS_H_

#include "redis_options.h"

#include <cstdlib>

#include "whole_number_option.h"

namespace meowmx::cli {

RedisConnectionOptions RedisFlags::connection() const {
  RedisConnectionOptions options;
  if (!url.empty()) {
    options.url = url;
  } else if (const char* env = std::getenv("MEOWMX_REDIS_URL"); env && *env) {
    options.url = env;
  }
  return options;
}

RedisEventStoreOptions RedisFlags::store() const {
  return {.connection = connection(), .namespace_pattern = namespace_pattern, .ttl = std::chrono::seconds(ttl_seconds)};
}

void add_redis_flags(CLI::App& command, RedisFlags& flags, const std::string& prefix) {
  command.add_option("--redis-url", flags.url,
                     "redis://[[user]:password@]host[:port][/db] (default: $MEOWMX_REDIS_URL, else "
                     "redis://127.0.0.1:6379)");
  command.add_option("--" + prefix + "namespace", flags.namespace_pattern,
                     "Key namespace: a strftime pattern in UTC, or a fixed string; keys are <namespace>:<event>")
      ->capture_default_str();
  command.add_option("--" + prefix + "ttl", flags.ttl_seconds, "Seconds every key written lives after its last write")
      ->check(whole_number_from<std::int64_t>(1))
      ->capture_default_str();
}

}  // namespace meowmx::cli

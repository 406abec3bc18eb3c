// RedisConnectionOptions: where a Redis store, sink, prepare-commit or
// recovery connects.
#ifndef MEOWMX_REDIS_CONNECTION_OPTIONS_H_
#define MEOWMX_REDIS_CONNECTION_OPTIONS_H_

#include <chrono>
#include <string>

namespace meowmx {

struct RedisConnectionOptions {
  // redis://[[user]:password@]host[:port][/database]; messages show it with
  // the password as ***.
  std::string url = "redis://127.0.0.1:6379";
  // For connecting and for each reply; a server that does not answer in time
  // is a lost connection (ConnectionError).
  std::chrono::milliseconds timeout{5000};
};

}  // namespace meowmx

#endif  // MEOWMX_REDIS_CONNECTION_OPTIONS_H_

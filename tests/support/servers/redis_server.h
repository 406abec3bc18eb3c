// RedisServer: a throwaway redis-server on a free loopback port, run as the
// redis user when we are root, its data in a TempDir of its own, stopped by
// pid. Restartable on the same port (with its data when appendonly is on),
// for the "Redis restarted mid-stream" tests.
#ifndef MEOWMX_TESTS_SUPPORT_SERVERS_REDIS_SERVER_H_
#define MEOWMX_TESTS_SUPPORT_SERVERS_REDIS_SERVER_H_

#include <memory>
#include <string>

#include "support/servers/server_process.h"
#include "support/servers/temp_dir.h"

namespace meowmx::testing {

struct RedisServerOptions {
  // The append-only file with an fsync per write, so what Redis acknowledged
  // survives a stop or a kill; off, a restart starts empty.
  bool appendonly = false;
  // Requires AUTH with this password when set.
  std::string password;
};

class RedisServer {
 public:
  // Starts the server and waits until it answers PING; throws meowmx::Error.
  explicit RedisServer(const RedisServerOptions& options = {});

  int port() const noexcept { return port_; }
  // redis://127.0.0.1:PORT (with the password when there is one).
  std::string url() const;

  // Stops politely, crashes (SIGKILL), or starts again on the same port.
  void stop() { process_->stop(); }
  void kill() { process_->kill(); }
  void start();

 private:
  RedisServerOptions options_;
  TempDir dir_;  // declared before the process: outlives it
  int port_;
  std::unique_ptr<ServerProcess> process_;
};

// The binary's own server (append-only, so restarts keep its data), started
// on first call and stopped when the binary exits; tests keep apart by key names.
RedisServer& binary_redis_server();

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SERVERS_REDIS_SERVER_H_

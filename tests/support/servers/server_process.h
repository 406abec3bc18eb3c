// ServerProcess: a throwaway server (redis-server, mariadbd, ...) run in the
// foreground as a child of the test or benchmark, as the server's Debian
// system user when we are root, on a loopback port of its own, and stopped
// by pid: politely by stop(), abruptly by kill() (crash tests), always by
// the destructor. PostgreSQL has its own helper (postgres_server.h) because
// pg_ctl daemonizes it.
//
//   ServerProcess redis({.name = "redis-server",
//                        .argv = {"redis-server", "--port", std::to_string(port), ...},
//                        .run_as_user = server_user("redis"),
//                        .log_file = dir / "redis.log"});
//   redis.wait_until_ready([&] { return can_connect(port); });
#ifndef MEOWMX_TESTS_SUPPORT_SERVERS_SERVER_PROCESS_H_
#define MEOWMX_TESTS_SUPPORT_SERVERS_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace meowmx::internal {
class ChildProcess;
}

namespace meowmx::testing {

// A free 127.0.0.1 TCP port below the ephemeral range (see
// lib/src/common/loopback_port.h), for the server to take an instant later.
// Throws meowmx::Error when none is free.
int free_loopback_port();

// Whom a server runs as: empty (ourselves) unless we are root; as root the
// Debian system user `debian_user` ("mysql", "redis"), which the server's
// package creates. Throws meowmx::Error naming the package when it is missing.
std::string server_user(const std::string& debian_user);

// Gives `path` (not recursively) to `user`; a no-op for the empty user.
void give_to_user(const std::filesystem::path& path, const std::string& user);

struct ServerProcessOptions {
  std::string name;               // for messages: "redis-server"
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  std::string run_as_user;        // server_user(...); empty: as we are
  // Where the server writes its output (stdout and stderr); its last lines
  // are quoted when it fails to start.
  std::filesystem::path log_file;
  std::filesystem::path working_dir;  // empty: inherit
};

class ServerProcess {
 public:
  // Starts the server; see start().
  explicit ServerProcess(ServerProcessOptions options);
  // stop(), falling back to kill() when the server ignores SIGTERM.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the program again after stop() or kill(); a no-op while running.
  void start();
  // SIGTERM, then waits until it has exited (SIGKILL after `grace`).
  void stop(std::chrono::seconds grace = std::chrono::seconds(60));
  // SIGKILL and reap: a crash at this moment.
  void kill();
  // Whether it has been started and has not exited (reaps it when it has).
  bool running();
  std::optional<pid_t> pid();

  // Polls `ready` every 20 ms until it returns true. Throws meowmx::Error
  // with the log's last lines when the server exits first or `timeout`
  // passes.
  void wait_until_ready(const std::function<bool()>& ready,
                        std::chrono::seconds timeout = std::chrono::seconds(60));

  // The log's last `lines` lines, for failure messages.
  std::string log_tail(int lines = 20) const;

 private:
  ServerProcessOptions options_;
  std::unique_ptr<internal::ChildProcess> child_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SERVERS_SERVER_PROCESS_H_

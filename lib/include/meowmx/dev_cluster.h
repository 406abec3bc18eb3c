// DevCluster: a throwaway local PostgreSQL made with initdb and run with
// pg_ctl, listening on a free 127.0.0.1 port with wal_level=logical.
//
// It is the CLI's default database (`meowmx dev-db`), and the test harness and
// benchmarks use it too. When run as root the server runs as the `postgres`
// system user, because initdb refuses root.
#ifndef MEOWMX_DEV_CLUSTER_H_
#define MEOWMX_DEV_CLUSTER_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace meowmx {

struct DevClusterOptions {
  std::filesystem::path dir = ".meowmx/pg";
  int port = 0;  // 0: pick a free loopback port at each start
  // Extra postgresql.conf lines appended at initdb, e.g. "fsync = off".
  std::vector<std::string> settings;
  // Stop the server when the DevCluster object is destroyed (tests, benchmarks).
  bool stop_on_destroy = false;
};

class DevCluster {
 public:
  explicit DevCluster(DevClusterOptions options = {});
  ~DevCluster();
  DevCluster(const DevCluster&) = delete;
  DevCluster& operator=(const DevCluster&) = delete;

  // initdb when the folder holds no cluster yet, then start and wait until it
  // accepts connections. A no-op when already running.
  void start();
  // Fast shutdown by pid, waiting until the server has exited. A no-op when stopped.
  void stop();
  // Abrupt stop (SIGKILL of the postmaster and every process working in its
  // folder), for crash tests; returns once none is left.
  void kill();

  bool running() const;
  std::optional<int> pid() const;
  std::optional<int> port() const;
  // postgresql://postgres@127.0.0.1:PORT/postgres, or throws Error when not running.
  std::string url() const;
  const std::filesystem::path& dir() const noexcept { return options_.dir; }

  // Where initdb and pg_ctl live: pg_config --bindir, else Debian's newest
  // /usr/lib/postgresql/N/bin. Throws Error when PostgreSQL is not installed.
  static std::filesystem::path find_bin_dir();

 private:
  DevClusterOptions options_;
};

}  // namespace meowmx

#endif  // MEOWMX_DEV_CLUSTER_H_

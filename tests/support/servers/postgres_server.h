// PostgresServer: a throwaway PostgreSQL (initdb in a TempDir of its own,
// wal_level=logical, a free loopback port), stopped by pid and removed when
// the object goes. Tests run it fast; benchmarks with stock durability.
#ifndef MEOWMX_TESTS_SUPPORT_SERVERS_POSTGRES_SERVER_H_
#define MEOWMX_TESTS_SUPPORT_SERVERS_POSTGRES_SERVER_H_

#include <string>
#include <vector>

#include "meowmx/dev_cluster.h"
#include "support/servers/temp_dir.h"

namespace meowmx::testing {

enum class Durability {
  // fsync and full-page writes off: surviving a power cut is not under test.
  // Commits still write their WAL before they return (synchronous_commit
  // stays on), so what was seen committed survives a SIGKILL of the server.
  kCrashSafe,
  // PostgreSQL's defaults: every commit pays a durable flush, as in production.
  kStock,
};

struct PostgresServerOptions {
  Durability durability = Durability::kCrashSafe;
  // postgresql.conf lines added after ours (a later line wins).
  std::vector<std::string> settings{};
};

class PostgresServer {
 public:
  // Creates and starts the cluster; throws meowmx::Error when it cannot.
  explicit PostgresServer(const PostgresServerOptions& options = {});

  // For restarts and crashes (kill(), start()): the port stays the same.
  DevCluster& cluster() noexcept { return cluster_; }
  // postgresql://postgres@127.0.0.1:PORT/<database>
  std::string url(const std::string& database = "postgres") const;

 private:
  TempDir dir_;  // declared first: outlives the cluster
  DevCluster cluster_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SERVERS_POSTGRES_SERVER_H_

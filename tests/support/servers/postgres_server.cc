#include "support/servers/postgres_server.h"

namespace meowmx::testing {
namespace {

DevClusterOptions cluster_options(const std::filesystem::path& root, const PostgresServerOptions& options) {
  DevClusterOptions cluster;
  cluster.dir = root / "pg";
  cluster.stop_on_destroy = true;
  if (options.durability == Durability::kCrashSafe) {
    cluster.settings = {"fsync = off", "full_page_writes = off"};
  }
  cluster.settings.push_back("log_min_messages = warning");
  cluster.settings.insert(cluster.settings.end(), options.settings.begin(), options.settings.end());
  return cluster;
}

}  // namespace

PostgresServer::PostgresServer(const PostgresServerOptions& options)
    : dir_("meowmx-pg"), cluster_(cluster_options(dir_.path(), options)) {
  cluster_.start();
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(cluster_.port().value()) + "/" + database;
}

}  // namespace meowmx::testing

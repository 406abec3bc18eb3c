#include "connect.h"

#include <cstdlib>

#include "meowmx/dev_cluster.h"
#include "meowmx/error.h"

namespace meowmx::cli {

std::string resolve_dsn(const GlobalOptions& global) {
  if (!global.dsn.empty()) return global.dsn;
  if (const char* env = std::getenv("MEOWMX_DSN"); env && *env) return env;
  DevClusterOptions options;
  options.dir = kDefaultDevDir;
  DevCluster cluster(options);
  if (cluster.running()) return cluster.url();
  throw ConnectionError(
      "no database: pass --dsn, set MEOWMX_DSN, or start the local one with `meowmx dev-db start`");
}

Client connect(const GlobalOptions& global) {
  ClientOptions options;
  options.dsn = resolve_dsn(global);
  return Client(options);
}

}  // namespace meowmx::cli

#include "connect.h"

#include <cstdlib>

#include "meowmx/dev_cluster.h"
#include "meowmx/error.h"

namespace meowmx::cli {
namespace {

// The libpq variables that choose a server or a service: when one is set, the
// user means libpq's own resolution (with service files and .pgpass), as for psql.
bool libpq_environment_names_a_server() {
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE",
                           "PGSERVICEFILE"}) {
    if (const char* value = std::getenv(name); value && *value) return true;
  }
  return false;
}

}  // namespace

std::string resolve_dsn(const GlobalOptions& global) {
  if (!global.dsn.empty()) return global.dsn;
  if (const char* env = std::getenv("MEOWMX_DSN"); env && *env) return env;
  if (libpq_environment_names_a_server()) return "";
  DevClusterOptions options;
  options.dir = kDefaultDevDir;
  DevCluster cluster(options);
  if (cluster.running()) return cluster.url();
  throw ConnectionError(
      "no database: pass --dsn, set MEOWMX_DSN or PGHOST/PGSERVICE, or start the local one with "
      "`meowmx dev-db start`");
}

Client connect(const GlobalOptions& global) {
  ClientOptions options;
  options.dsn = resolve_dsn(global);
  return Client(options);
}

}  // namespace meowmx::cli

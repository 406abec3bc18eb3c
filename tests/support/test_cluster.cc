#include "support/test_cluster.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include <pqxx/pqxx>

#include "meowmx/client.h"
#include "support/servers/postgres_server.h"

namespace meowmx::testing {
namespace {

PostgresServer& server() {
  static PostgresServer instance;
  return instance;
}

std::string database_url(const std::string& name) { return server().url(name); }

}  // namespace

DevCluster& cluster() { return server().cluster(); }

std::string admin_dsn() { return database_url("postgres"); }

std::string fresh_database(const DatabaseOptions& options) {
  static std::atomic<int> counter{0};
  static std::mutex create_mutex;  // CREATE DATABASE copies template1, one at a time
  const std::string name = "test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  {
    std::lock_guard lock(create_mutex);
    pqxx::connection admin(admin_dsn());
    pqxx::nontransaction(admin).exec0("CREATE DATABASE " + admin.quote_name(name));
  }
  const std::string dsn = database_url(name);
  if (options.setup) {
    ClientOptions client_options;
    client_options.dsn = dsn;
    Client client(client_options);
    SetupOptions setup;
    setup.aggregate_id_type = options.aggregate_id_type;
    client.setup(setup);
  }
  return dsn;
}

}  // namespace meowmx::testing

#include "support/test_cluster.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include <pqxx/pqxx>

#include "meowmx/client.h"
#include "meowmx/error.h"

namespace meowmx::testing {
namespace fs = std::filesystem;
namespace {

// Owns the temp dir and the cluster in it; destroyed at exit, stopping the
// server by pid and removing the folder.
class ThrowawayCluster {
 public:
  ThrowawayCluster() {
    std::string pattern = (fs::temp_directory_path() / "meowmx-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw Error("cannot create a temp dir for the test cluster");
    root_ = pattern;
    // The server may run as the postgres user, which must reach the data dir.
    fs::permissions(root_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    DevClusterOptions options;
    options.dir = root_ / "pg";
    options.stop_on_destroy = true;
    // Surviving a power cut is not under test: skip fsync. Commits still
    // write their WAL before they return (synchronous_commit stays on), so
    // what a test saw committed survives a SIGKILL of the server.
    options.settings = {"fsync = off", "full_page_writes = off", "log_min_messages = warning"};
    cluster_ = std::make_unique<DevCluster>(options);
    cluster_->start();
  }
  ~ThrowawayCluster() {
    cluster_.reset();
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  DevCluster& get() { return *cluster_; }

 private:
  fs::path root_;
  std::unique_ptr<DevCluster> cluster_;
};

std::string database_url(const std::string& name) {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(cluster().port().value()) + "/" + name;
}

}  // namespace

DevCluster& cluster() {
  static ThrowawayCluster instance;
  return instance.get();
}

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

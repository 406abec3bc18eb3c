#include "support/servers/mariadb_server.h"

#include <fstream>

#include "common/child_process.h"
#include "meowmx/error.h"

namespace meowmx::testing {
namespace fs = std::filesystem;

namespace {

// Runs at every start: root may also log in over TCP from 127.0.0.1, with
// no password (a throwaway server on loopback).
constexpr const char* kInitSql =
    "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';\n"
    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n";

}  // namespace

MariaDbServer::MariaDbServer(const MariaDbServerOptions& options)
    : dir_("meowmx-mariadb"), data_dir_(dir_.path() / "server" / "data"), port_(free_loopback_port()) {
  const std::string user = server_user("mysql");
  const fs::path home = dir_.path() / "server";
  // A temp folder of its own: a starting mariadbd deletes every #sql* file
  // in its tmpdir, so servers sharing /tmp broke each other's installs.
  const fs::path tmp = home / "tmp";
  fs::create_directories(tmp);
  give_to_user(home, user);
  give_to_user(tmp, user);
  internal::ChildProcessOptions install;
  install.run_as_user = user;
  internal::run_or_throw({"mariadb-install-db", "--no-defaults", "--datadir=" + data_dir_.string(),
                          "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
                          "--tmpdir=" + tmp.string()},
                         install);
  {
    std::ofstream init(home / "init.sql");
    init << kInitSql;
  }
  give_to_user(home / "init.sql", user);
  std::vector<std::string> argv = {"mariadbd",
                                   "--no-defaults",
                                   "--datadir=" + data_dir_.string(),
                                   "--port=" + std::to_string(port_),
                                   "--bind-address=127.0.0.1",
                                   "--skip-networking=0",
                                   "--skip-name-resolve",
                                   "--socket=" + (home / "mariadb.sock").string(),
                                   "--tmpdir=" + tmp.string(),
                                   "--pid-file=" + (home / "mariadb.pid").string(),
                                   "--init-file=" + (home / "init.sql").string(),
                                   "--server-id=1",
                                   "--log-bin=" + (data_dir_ / "mariadb-bin").string(),
                                   "--binlog-format=ROW",
                                   "--binlog-row-image=FULL",
                                   "--binlog-row-metadata=FULL",
                                   "--innodb-buffer-pool-size=32M",
                                   "--innodb-log-file-size=16M",
                                   "--innodb-flush-log-at-trx-commit=2",
                                   "--sync-binlog=0",
                                   "--character-set-server=utf8mb4",
                                   "--collation-server=utf8mb4_general_ci"};
  if (!user.empty()) argv.push_back("--user=" + user);
  argv.insert(argv.end(), options.settings.begin(), options.settings.end());
  process_ = std::make_unique<ServerProcess>(ServerProcessOptions{.name = "mariadbd",
                                                                  .argv = argv,
                                                                  .run_as_user = user,
                                                                  .log_file = home / "error.log",
                                                                  .working_dir = home});
  start();
}

MariaDbServer::~MariaDbServer() = default;

std::string MariaDbServer::url() const { return "mysql://root@127.0.0.1:" + std::to_string(port_) + "/"; }

std::vector<std::string> MariaDbServer::client_argv() const {
  return {"mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1", "--port=" + std::to_string(port_),
          "--user=root", "--default-character-set=utf8mb4", "--batch", "--skip-column-names", "--raw"};
}

void MariaDbServer::execute(const std::string& sql) const {
  internal::ChildProcessOptions client;
  client.input = sql;
  internal::run_or_throw(client_argv(), client);
}

std::string MariaDbServer::query(const std::string& sql) const {
  auto argv = client_argv();
  argv.push_back("--execute=" + sql);
  return internal::run_or_throw(argv, {});
}

std::string MariaDbServer::decoded_binlog(const std::string& file, std::uint64_t position) const {
  return internal::run_or_throw({"mariadb-binlog", "--no-defaults", "--read-from-remote-server", "--host=127.0.0.1",
                                 "--port=" + std::to_string(port_), "--user=root", "--base64-output=DECODE-ROWS",
                                 "-vv", "--to-last-log", "--start-position=" + std::to_string(position), file},
                                {});
}

void MariaDbServer::start() {
  process_->start();
  process_->wait_until_ready([this] {
    internal::ChildProcess ping({"mariadb-admin", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1",
                                 "--port=" + std::to_string(port_), "--user=root", "ping"},
                                {});
    return ping.wait() == 0;
  });
}

void MariaDbServer::stop() { process_->stop(); }

void MariaDbServer::kill() { process_->kill(); }

}  // namespace meowmx::testing

// MariaDbServer: a throwaway MariaDB (mariadb-install-db into a TempDir of
// its own, mariadbd on a free loopback port) writing a row binlog with full
// images and full metadata, as the MySQL source needs. It runs as the mysql
// system user when we are root, is stopped by pid, and can be stopped,
// killed and started again on the same port and data.
#ifndef MEOWMX_TESTS_SUPPORT_SERVERS_MARIADB_SERVER_H_
#define MEOWMX_TESTS_SUPPORT_SERVERS_MARIADB_SERVER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/servers/server_process.h"
#include "support/servers/temp_dir.h"

namespace meowmx::testing {

struct MariaDbServerOptions {
  // mariadbd options added after ours ("--binlog-row-metadata=MINIMAL"); a later one wins.
  std::vector<std::string> settings{};
};

class MariaDbServer {
 public:
  // Creates the data directory and starts the server; throws meowmx::Error
  // with the server's last log lines when it cannot.
  explicit MariaDbServer(const MariaDbServerOptions& options = {});
  ~MariaDbServer();
  MariaDbServer(const MariaDbServer&) = delete;
  MariaDbServer& operator=(const MariaDbServer&) = delete;

  int port() const noexcept { return port_; }
  // mysql://root@127.0.0.1:PORT/ (root has no password on this server).
  std::string url() const;
  // Runs SQL statements through the mariadb client (multi-statement text);
  // throws meowmx::Error with the client's message when one fails.
  void execute(const std::string& sql) const;
  // The client's tab-separated output of a query, one line per row, no header.
  std::string query(const std::string& sql) const;
  // What MariaDB's own mariadb-binlog prints of the binlog from `file` at
  // `position` to its end, rows decoded (--base64-output=DECODE-ROWS -vv).
  std::string decoded_binlog(const std::string& file, std::uint64_t position) const;
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

  // After stop() or kill(): the same port, data and binlog.
  void start();
  void stop();
  void kill();

 private:
  std::vector<std::string> client_argv() const;

  TempDir dir_;  // declared first: outlives the server
  std::filesystem::path data_dir_;
  int port_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SERVERS_MARIADB_SERVER_H_

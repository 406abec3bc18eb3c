// MysqlConnection: one client connection to a MySQL/MariaDB server through
// libmariadb, owned (closed with the object). Failures to reach the server
// or a lost connection are ConnectionError; a refused statement is Error
// with the server's message.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CONNECTION_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CONNECTION_H_

#include <mysql.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/mariadb/mysql_dsn.h"

namespace meowmx::internal {

using MysqlRow = std::vector<std::optional<std::string>>;

class MysqlConnection {
 public:
  // Connects; `read_timeout` bounds every wait for the server (0: none).
  MysqlConnection(const MysqlDsn& dsn, std::chrono::seconds read_timeout);
  ~MysqlConnection();
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  MYSQL* handle() noexcept { return mysql_; }
  const MysqlDsn& dsn() const noexcept { return dsn_; }

  void execute(const std::string& sql);
  std::vector<MysqlRow> query(const std::string& sql);
  // The first column of the first row; nullopt for NULL or no row.
  std::optional<std::string> scalar(const std::string& sql);
  // `text` as a quoted SQL string literal, escaped for this connection.
  std::string quote(std::string_view text);

  // Throws the error the connection reports now, with `what` for context.
  [[noreturn]] void fail(const std::string& what);

 private:
  MysqlDsn dsn_;
  MYSQL* mysql_ = nullptr;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CONNECTION_H_

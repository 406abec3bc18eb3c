// MysqlDsn: a MySQL/MariaDB server as `--mysql-dsn` names it, in the URI form
// mysql://user:password@host:port/database (mariadb:// too). The password
// is kept apart so that nothing printed from here ever shows it.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_DSN_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_DSN_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

struct MysqlDsn {
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string user = "root";
  std::string password;
  std::string database;  // empty: none

  // "user@host:port" for messages; never the password.
  std::string describe() const;
};

// Parses the URI; user and password may be percent-encoded. Throws
// InvalidArgument naming what is wrong (never the password).
MysqlDsn parse_mysql_dsn(std::string_view uri);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_DSN_H_

// What the MySQL source asks its server besides the binlog: whether the
// binlog is as the source needs it, the captured tables and their primary
// keys, the binlogs the server still has, its current position, and the SQL
// types the binlog leaves ambiguous (INET6 and UUID are BINARY(16) there).
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CATALOG_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CATALOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "capture/mariadb/mysql_connection.h"
#include "meowmx/capture/position.h"
#include "meowmx/capture/table.h"

namespace meowmx::internal {

// "db.table", "table" (in `default_database`), with backquotes for any
// other name: `odd db`.`odd-table`. Throws InvalidArgument.
std::vector<TableName> parse_mysql_table_names(const std::vector<std::string>& tables,
                                               const std::string& default_database);

// Whether the server is MariaDB, else MySQL: their binlogs differ in places
// (table maps' character columns, GTIDs).
bool is_mariadb(MysqlConnection& connection);

// Throws Error naming the setting when log_bin is off, binlog_format is not
// ROW or binlog_row_metadata is not FULL.
void require_row_binlog(MysqlConnection& connection);

// The tables with their primary keys, stems (the table's name, or
// "db.table" when two captured databases have a table of that name). Throws InvalidArgument for an unknown
// table or one without a primary key.
std::vector<CapturedTable> resolve_tables(MysqlConnection& connection, const std::vector<TableName>& names);

struct BinaryLog {
  std::string name;
  std::uint64_t size = 0;
};
// SHOW BINARY LOGS: oldest first.
std::vector<BinaryLog> binary_logs(MysqlConnection& connection);
// The end of the binlog now (SHOW MASTER STATUS), with the server's GTID position.
BinlogPosition current_position(MysqlConnection& connection);

// Column name -> "inet6" or "uuid", for the table's columns of those types.
std::map<std::string, std::string> ambiguous_column_types(MysqlConnection& connection, const TableName& table);

// The host another replica registered `server_id` under (SHOW SLAVE HOSTS), or empty.
std::string replica_host_of(MysqlConnection& connection, std::uint32_t server_id);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_MYSQL_CATALOG_H_

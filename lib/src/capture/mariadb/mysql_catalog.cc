#include "capture/mariadb/mysql_catalog.h"

#include <algorithm>
#include <charconv>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// One name: bare up to the next '.', or in backquotes (`` for a backquote).
std::string take_name(std::string_view& text, const std::string& whole) {
  std::string name;
  if (!text.empty() && text.front() == '`') {
    std::size_t i = 1;
    for (; i < text.size(); ++i) {
      if (text[i] != '`') {
        name += text[i];
      } else if (i + 1 < text.size() && text[i + 1] == '`') {
        name += '`';
        ++i;
      } else {
        break;
      }
    }
    if (i >= text.size()) throw InvalidArgument("unterminated backquote in table name '" + whole + "'");
    text.remove_prefix(i + 1);
  } else {
    const auto dot = text.find('.');
    name = std::string(text.substr(0, dot));
    text.remove_prefix(dot == std::string_view::npos ? text.size() : dot);
  }
  if (name.empty() || name.size() > 64) throw InvalidArgument("bad table name '" + whole + "'");
  return name;
}

std::string global_variable(MysqlConnection& connection, const std::string& name) {
  return connection.scalar("SELECT @@GLOBAL." + name).value_or("");
}

std::uint64_t to_number(const std::optional<std::string>& text) {
  std::uint64_t value = 0;
  if (text) std::from_chars(text->data(), text->data() + text->size(), value);
  return value;
}

}  // namespace

std::vector<TableName> parse_mysql_table_names(const std::vector<std::string>& tables,
                                               const std::string& default_database) {
  if (tables.empty()) throw InvalidArgument("no tables to capture");
  std::vector<TableName> names;
  for (const auto& whole : tables) {
    std::string_view text = whole;
    TableName name;
    name.name = take_name(text, whole);
    if (!text.empty()) {
      if (text.front() != '.') throw InvalidArgument("bad table name '" + whole + "'");
      text.remove_prefix(1);
      name.space = std::move(name.name);
      name.name = take_name(text, whole);
      if (!text.empty()) throw InvalidArgument("bad table name '" + whole + "': expected db.table");
    } else if (default_database.empty()) {
      throw InvalidArgument("table '" + whole + "' needs its database (db.table), or a database in the MySQL DSN");
    } else {
      name.space = default_database;
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  }
  return names;
}

bool is_mariadb(MysqlConnection& connection) {
  return connection.scalar("SELECT VERSION()").value_or("").find("MariaDB") != std::string::npos;
}

void require_row_binlog(MysqlConnection& connection) {
  if (global_variable(connection, "log_bin") != "1") {
    throw Error("the MySQL server writes no binlog: start it with log_bin (log-bin=...)");
  }
  if (const auto format = global_variable(connection, "binlog_format"); format != "ROW") {
    throw Error("the MySQL server's binlog_format is " + format + ": the mysql source needs binlog_format=ROW");
  }
  if (const auto metadata = global_variable(connection, "binlog_row_metadata"); metadata != "FULL") {
    throw Error("the MySQL server's binlog_row_metadata is " + (metadata.empty() ? "unknown" : metadata) +
                ": the mysql source needs binlog_row_metadata=FULL (column names, signedness, "
                "character sets and keys in every table map)");
  }
}

std::vector<CapturedTable> resolve_tables(MysqlConnection& connection, const std::vector<TableName>& names) {
  std::vector<CapturedTable> tables;
  for (const auto& name : names) {
    const std::string where = "TABLE_SCHEMA = " + connection.quote(name.space) +
                              " AND TABLE_NAME = " + connection.quote(name.name);
    if (!connection.scalar("SELECT 1 FROM information_schema.TABLES WHERE " + where)) {
      throw InvalidArgument("unknown table " + name.space + "." + name.name);
    }
    CapturedTable table{.name = name, .stem = name.name, .key = {}};
    for (const auto& row : connection.query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE " +
                                            where + " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION")) {
      table.key.push_back(row[0].value_or(""));
    }
    if (table.key.empty()) throw InvalidArgument("table " + name.space + "." + name.name + " has no primary key");
    tables.push_back(std::move(table));
  }
  for (auto& table : tables) {
    const auto same_name = std::count_if(tables.begin(), tables.end(),
                                         [&](const CapturedTable& other) { return other.name.name == table.name.name; });
    if (same_name > 1) table.stem = table.name.space + "." + table.name.name;
  }
  return tables;
}

std::vector<BinaryLog> binary_logs(MysqlConnection& connection) {
  std::vector<BinaryLog> logs;
  for (const auto& row : connection.query("SHOW BINARY LOGS")) {
    logs.push_back({row[0].value_or(""), to_number(row.size() > 1 ? row[1] : std::nullopt)});
  }
  return logs;
}

BinlogPosition current_position(MysqlConnection& connection) {
  const auto rows = connection.query("SHOW MASTER STATUS");
  if (rows.empty()) throw Error("the MySQL server writes no binlog (SHOW MASTER STATUS is empty)");
  BinlogPosition position{rows[0][0].value_or(""), to_number(rows[0][1]), ""};
  position.gtid = connection.scalar("SELECT @@GLOBAL.gtid_binlog_pos").value_or("");
  return position;
}

std::map<std::string, std::string> ambiguous_column_types(MysqlConnection& connection, const TableName& table) {
  std::map<std::string, std::string> types;
  for (const auto& row : connection.query(
           "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
           connection.quote(table.space) + " AND TABLE_NAME = " + connection.quote(table.name) +
           " AND DATA_TYPE IN ('inet6', 'uuid')")) {
    types[row[0].value_or("")] = row[1].value_or("");
  }
  return types;
}

std::string replica_host_of(MysqlConnection& connection, std::uint32_t server_id) {
  for (const auto& row : connection.query("SHOW SLAVE HOSTS")) {
    if (to_number(row[0]) == server_id) return row.size() > 1 ? row[1].value_or("") : "";
  }
  return "";
}

}  // namespace meowmx::internal

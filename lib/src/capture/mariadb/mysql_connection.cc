#include "capture/mariadb/mysql_connection.h"

#include <errmsg.h>

#include <memory>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

bool is_connection_error(unsigned code) {
  return code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR || code == CR_SERVER_GONE_ERROR ||
         code == CR_SERVER_LOST || code == CR_UNKNOWN_HOST || code == CR_SERVER_LOST_EXTENDED;
}

// Frees a result set on every path.
struct ResultDeleter {
  void operator()(MYSQL_RES* result) const { mysql_free_result(result); }
};

}  // namespace

MysqlConnection::MysqlConnection(const MysqlDsn& dsn, std::chrono::seconds read_timeout)
    : dsn_(dsn), mysql_(mysql_init(nullptr)) {
  if (!mysql_) throw Error("out of memory for a MySQL connection");
  const unsigned connect_timeout = 10;
  const auto read = static_cast<unsigned>(read_timeout.count());
  mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (read > 0) mysql_options(mysql_, MYSQL_OPT_READ_TIMEOUT, &read);
  mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const char* database = dsn.database.empty() ? nullptr : dsn.database.c_str();
  if (!mysql_real_connect(mysql_, dsn.host.c_str(), dsn.user.c_str(), dsn.password.c_str(), database, dsn.port,
                          nullptr, 0)) {
    const std::string message = mysql_error(mysql_);
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw ConnectionError("cannot connect to MySQL server " + dsn.describe() + ": " + message);
  }
}

MysqlConnection::~MysqlConnection() {
  if (mysql_) mysql_close(mysql_);
}

void MysqlConnection::fail(const std::string& what) {
  const unsigned code = mysql_errno(mysql_);
  const std::string message = what + " on " + dsn_.describe() + ": " + mysql_error(mysql_);
  if (is_connection_error(code)) throw ConnectionError(message);
  throw Error(message);
}

void MysqlConnection::execute(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail("statement failed");
  // A statement that returns rows anyway (SET does not) leaves no result behind.
  std::unique_ptr<MYSQL_RES, ResultDeleter> result(mysql_store_result(mysql_));
}

std::vector<MysqlRow> MysqlConnection::query(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail("query failed");
  std::unique_ptr<MYSQL_RES, ResultDeleter> result(mysql_store_result(mysql_));
  if (!result) fail("reading a result failed");
  std::vector<MysqlRow> rows;
  const unsigned columns = mysql_num_fields(result.get());
  while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
    const unsigned long* lengths = mysql_fetch_lengths(result.get());
    MysqlRow values;
    for (unsigned i = 0; i < columns; ++i) {
      values.push_back(row[i] ? std::optional<std::string>(std::string(row[i], lengths[i])) : std::nullopt);
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

std::optional<std::string> MysqlConnection::scalar(const std::string& sql) {
  const auto rows = query(sql);
  if (rows.empty() || rows[0].empty()) return std::nullopt;
  return rows[0][0];
}

std::string MysqlConnection::quote(std::string_view text) {
  std::string out(text.size() * 2 + 3, '\0');
  out[0] = '\'';
  const auto length = mysql_real_escape_string(mysql_, out.data() + 1, text.data(), text.size());
  out.resize(length + 1);
  out += '\'';
  return out;
}

}  // namespace meowmx::internal

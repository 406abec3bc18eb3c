// Session: one PostgreSQL connection with the statements prepared on it, and
// the means to replace it after the server went away.
#ifndef MEOWMX_SRC_PG_SESSION_H_
#define MEOWMX_SRC_PG_SESSION_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/connection>

#include "pg/connection_errors.h"
#include "meowmx/options.h"

namespace meowmx::internal {

class Session {
 public:
  // Connects at once; throws ConnectionError, or InvalidArgument when libpq
  // cannot parse the DSN.
  explicit Session(ClientOptions options);

  pqxx::connection& connection() { return *connection_; }
  const ClientOptions& options() const noexcept { return options_; }

  // Prepares `sql` as `name` on this and every later connection.
  void prepare(const std::string& name, const std::string& sql);
  // Drops the connection and opens a new one; throws ConnectionError.
  void reconnect();

  // Runs fn, turning libpqxx errors into meowmx errors that never show the password.
  template <typename Fn>
  auto guarded(std::string_view context, Fn&& fn) {
    try {
      return fn();
    } catch (...) {
      rethrow_as_meowmx_error(context, options_.dsn);
    }
  }

 private:
  void connect();

  ClientOptions options_;
  std::string conninfo_;  // options_.dsn with meowmx's fallback_application_name
  std::unique_ptr<pqxx::connection> connection_;
  std::vector<std::pair<std::string, std::string>> prepared_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_PG_SESSION_H_

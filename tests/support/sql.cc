#include "support/sql.h"

namespace meowmx::testing {

void sql(const std::string& dsn, const std::string& statements) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction(connection).exec(statements);
}

}  // namespace meowmx::testing

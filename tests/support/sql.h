// Plain SQL on a fresh connection, for test set-up and for checking what the
// database holds independently of the code under test.
#ifndef MEOWMX_TESTS_SUPPORT_SQL_H_
#define MEOWMX_TESTS_SUPPORT_SQL_H_

#include <string>

#include <pqxx/pqxx>

namespace meowmx::testing {

// Runs `statements` (one or more, ;-separated) outside a transaction block.
void sql(const std::string& dsn, const std::string& statements);

// The single value `query` returns.
template <typename T = std::string>
T query_value(const std::string& dsn, const std::string& query) {
  pqxx::connection connection(dsn);
  return pqxx::nontransaction(connection).exec1(query)[0].as<T>();
}

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SQL_H_

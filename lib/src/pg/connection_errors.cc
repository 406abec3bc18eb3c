#include "pg/connection_errors.h"

#include <exception>

#include <pqxx/except>

#include "meowmx/error.h"

namespace meowmx::internal {

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  bool in_space = false;
  for (char c : text) {
    const bool space = c == '\n' || c == ' ' || c == '\t';
    if (space && in_space) continue;
    out += space ? ' ' : c;
    in_space = space;
  }
  return out;
}

void rethrow_as_meowmx_error(std::string_view context, std::string_view dsn) {
  const std::string prefix = context.empty() ? std::string() : std::string(context) + ": ";
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    if (auto problem = dsn_problem(dsn)) throw InvalidArgument(*problem);
    throw ConnectionError(redact(prefix + one_line(e.what()), dsn));
  } catch (const pqxx::in_doubt_error& e) {
    // The connection broke during COMMIT: whether it happened is for the
    // caller to find out after reconnecting (the log sink's resume point does).
    throw ConnectionError(redact(prefix + "the outcome of the commit is unknown: " + one_line(e.what()), dsn));
  } catch (const pqxx::undefined_table& e) {
    const std::string message = e.what();
    if (message.find("\"meowmx.") != std::string::npos) throw Error(kSchemaNotSetUp);
    throw Error(redact(prefix + one_line(message), dsn));
  } catch (const pqxx::sql_error& e) {
    // Class 08 (connection exception) and 57P (the server shutting down,
    // crashed, or starting up) pass with time: worth a reconnection.
    const std::string state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      throw ConnectionError(redact(prefix + one_line(e.what()), dsn));
    }
    throw Error(redact(prefix + one_line(e.what()), dsn));
  } catch (const std::exception& e) {
    throw Error(redact(prefix + one_line(e.what()), dsn));
  }
}

}  // namespace meowmx::internal

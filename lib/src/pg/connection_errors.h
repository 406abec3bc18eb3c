// Connection errors: turns libpqxx exceptions into meowmx's typed errors and
// keeps the DSN's password out of every message.
#ifndef MEOWMX_SRC_PG_CONNECTION_ERRORS_H_
#define MEOWMX_SRC_PG_CONNECTION_ERRORS_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

// Errors are one line: libpq's multi-line messages (LINE 1: ..., caret) are
// joined, and trailing newlines dropped.
std::string one_line(std::string text);

// `message` with every occurrence of the DSN's password replaced by "***".
std::string redact(std::string message, std::string_view dsn);

// host:port/dbname of a DSN for log lines; never the password.
std::string describe_dsn(std::string_view dsn);

// Call inside a catch block: rethrows the active exception as a meowmx error
// (ConnectionError for broken connections, Error for other database errors;
// meowmx errors pass through), prefixed with `context` and redacted.
[[noreturn]] void rethrow_as_meowmx_error(std::string_view context, std::string_view dsn);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_PG_CONNECTION_ERRORS_H_

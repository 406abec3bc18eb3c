// Connection errors: turns libpqxx exceptions into meowmx's typed errors and
// keeps the DSN's password out of every message (see pg/dsn.h).
#ifndef MEOWMX_SRC_PG_CONNECTION_ERRORS_H_
#define MEOWMX_SRC_PG_CONNECTION_ERRORS_H_

#include <string>
#include <string_view>

#include "pg/dsn.h"

namespace meowmx::internal {

// Errors are one line: libpq's multi-line messages (LINE 1: ..., caret) are
// joined, and trailing newlines dropped.
std::string one_line(std::string text);

// What every command says when the meowmx schema is missing.
inline constexpr const char* kSchemaNotSetUp =
    "the meowmx schema is not set up in this database: run `meowmx setup`";

// Call inside a catch block: rethrows the active exception as a meowmx error
// (InvalidArgument for a DSN libpq cannot parse, ConnectionError for broken
// connections, a commit whose outcome is unknown, and the server's
// connection and shutdown states (SQLSTATE 08..., 57P..), Error with kSchemaNotSetUp for a missing meowmx table, Error
// for other database errors; meowmx errors pass through), prefixed with
// `context` and redacted.
[[noreturn]] void rethrow_as_meowmx_error(std::string_view context, std::string_view dsn);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_PG_CONNECTION_ERRORS_H_

// DSN: what meowmx reads from a libpq connection string or URI, by its
// structure: the password field to hide, the target to name in messages, and
// the connection string to connect with.
#ifndef MEOWMX_SRC_PG_DSN_H_
#define MEOWMX_SRC_PG_DSN_H_

#include <optional>
#include <string>
#include <string_view>

namespace meowmx::internal {

// `text` with the value of every password field written in it replaced by
// "***": the password of a URI's userinfo (scheme://user:PASSWORD@host), a
// URI query's password=..., and a key=value password (quoted or not). Fields
// are found by their place in the string, never by searching for the
// password's text, so they are hidden even when libpq cannot parse the DSN
// and nothing else is touched. Works on a DSN and on a message quoting one.
std::string mask_password_fields(std::string text);

// `message` with mask_password_fields() applied, and every verbatim copy of
// `dsn` in it replaced by the masked DSN.
std::string redact(std::string message, std::string_view dsn);

// Why libpq cannot parse `dsn` (nullopt when it can), in words that never
// contain the password.
std::optional<std::string> dsn_problem(std::string_view dsn);

// The server a DSN leads to, as libpq resolves it: the DSN's own host, port
// and dbname, else libpq's defaults (PGHOST, PGPORT, PGDATABASE, PGUSER,
// PGSERVICE), e.g. "db.example.com:5432/app" or "/var/run/postgresql:5432/app"
// for the local socket. Never the password.
std::string describe_dsn(std::string_view dsn);

// The key=value connection string meowmx connects with: everything `dsn`
// sets, plus fallback_application_name=`application_name`, so the DSN's (or
// PGAPPNAME's) application_name wins over meowmx's. Throws InvalidArgument
// (naming the problem, never the password) when libpq cannot parse `dsn`.
std::string conninfo_for(std::string_view dsn, std::string_view application_name);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_PG_DSN_H_

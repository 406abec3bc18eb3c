#include "pg/connection_errors.h"

#include <exception>
#include <memory>

#include <libpq-fe.h>
#include <pqxx/except>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using Conninfo = std::unique_ptr<PQconninfoOption, ConninfoFree>;

// libpq's own parser, so URIs and key=value strings are read the way libpq reads them.
Conninfo parse(std::string_view dsn) {
  char* error = nullptr;
  Conninfo options(PQconninfoParse(std::string(dsn).c_str(), &error));
  PQfreemem(error);
  return options;
}

std::string option(const Conninfo& options, std::string_view key) {
  for (auto* o = options.get(); o && o->keyword; ++o) {
    if (key == o->keyword && o->val) return o->val;
  }
  return {};
}

}  // namespace

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

// A DSN libpq cannot parse may still carry a password in URI form
// (scheme://user:password@...), and libpq quotes the DSN in its error.
std::string password_of_unparsable(std::string_view dsn) {
  const auto scheme_end = dsn.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto userinfo = dsn.substr(scheme_end + 3);
  const auto at = userinfo.rfind('@');
  const auto colon = userinfo.substr(0, at == std::string_view::npos ? 0 : at).find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos) return {};
  return std::string(userinfo.substr(colon + 1, at - colon - 1));
}

std::string redact(std::string message, std::string_view dsn) {
  const auto options = parse(dsn);
  const std::string password = options ? option(options, "password") : password_of_unparsable(dsn);
  if (password.empty()) return message;
  for (auto at = message.find(password); at != std::string::npos; at = message.find(password, at)) {
    message.replace(at, password.size(), "***");
  }
  return message;
}

std::string describe_dsn(std::string_view dsn) {
  const auto options = parse(dsn);
  if (!options) return "(unparsable DSN)";
  std::string host = option(options, "hostaddr");
  if (host.empty()) host = option(options, "host");
  if (host.empty()) host = "localhost";
  std::string port = option(options, "port");
  std::string out = host + ":" + (port.empty() ? "5432" : port);
  if (auto db = option(options, "dbname"); !db.empty()) out += "/" + db;
  return out;
}

void rethrow_as_meowmx_error(std::string_view context, std::string_view dsn) {
  const std::string prefix = context.empty() ? std::string() : std::string(context) + ": ";
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw ConnectionError(redact(prefix + one_line(e.what()), dsn));
  } catch (const pqxx::sql_error& e) {
    throw Error(redact(prefix + one_line(e.what()), dsn));
  } catch (const std::exception& e) {
    throw Error(redact(prefix + one_line(e.what()), dsn));
  }
}

}  // namespace meowmx::internal

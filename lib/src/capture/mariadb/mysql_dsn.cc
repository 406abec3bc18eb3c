#include "capture/mariadb/mysql_dsn.h"

#include <charconv>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

std::string percent_decoded(std::string_view text, const char* what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    const char* first = text.data() + i + 1;
    if (i + 2 >= text.size() || std::from_chars(first, first + 2, value, 16).ptr != first + 2) {
      throw InvalidArgument(std::string("bad percent-encoding in the MySQL DSN's ") + what);
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

}  // namespace

std::string MysqlDsn::describe() const { return user + "@" + host + ":" + std::to_string(port); }

MysqlDsn parse_mysql_dsn(std::string_view uri) {
  MysqlDsn dsn;
  std::string_view rest;
  for (std::string_view scheme : {"mysql://", "mariadb://"}) {
    if (uri.starts_with(scheme)) rest = uri.substr(scheme.size());
  }
  if (rest.data() == nullptr) {
    throw InvalidArgument("the MySQL DSN must be a URI: mysql://user:password@host:port/database");
  }
  rest = rest.substr(0, rest.find('?'));  // URI options: none are read
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) dsn.database = percent_decoded(rest.substr(slash + 1), "database");
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    dsn.user = percent_decoded(userinfo.substr(0, colon), "user");
    if (colon != std::string_view::npos) dsn.password = percent_decoded(userinfo.substr(colon + 1), "password");
  }
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos && authority.back() != ']') {
    const std::string_view port = authority.substr(colon + 1);
    if (std::from_chars(port.data(), port.data() + port.size(), dsn.port).ptr != port.data() + port.size() ||
        dsn.port == 0 || dsn.port > 65535) {
      throw InvalidArgument("bad port in the MySQL DSN: '" + std::string(port.substr(0, 10)) + "'");
    }
    authority = authority.substr(0, colon);
  }
  if (!authority.empty()) dsn.host = std::string(authority);
  if (dsn.host.size() > 2 && dsn.host.front() == '[') dsn.host = dsn.host.substr(1, dsn.host.size() - 2);
  return dsn;
}

}  // namespace meowmx::internal

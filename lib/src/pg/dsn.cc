#include "pg/dsn.h"

#include <memory>

#include <libpq-fe.h>

#include "meowmx/error.h"
#include "pg/connection_errors.h"

namespace meowmx::internal {
namespace {

constexpr std::string_view kMask = "***";

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using Conninfo = std::unique_ptr<PQconninfoOption, ConninfoFree>;

// libpq's own parser, so URIs and key=value strings are read the way libpq
// reads them. On failure returns null and sets `error` to libpq's reason.
Conninfo parse(std::string_view dsn, std::string* error = nullptr) {
  char* message = nullptr;
  Conninfo options(PQconninfoParse(std::string(dsn).c_str(), &message));
  if (error) *error = message ? one_line(message) : "out of memory";
  PQfreemem(message);
  return options;
}

// The value of `key` in `options`, or "" when it is not set there.
std::string option(const Conninfo& options, std::string_view key) {
  for (auto* o = options.get(); o && o->keyword; ++o) {
    if (key == o->keyword && o->val) return o->val;
  }
  return {};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// scheme://user:PASSWORD@host...: the authority runs to the first '/', '?',
// '#', quote or blank; its userinfo ends at the last '@', so a password with
// an unencoded '@' is hidden whole.
void mask_uri_passwords(std::string& text) {
  constexpr std::string_view kAuthorityEnd = "/?#\"' \t\r\n";
  for (auto scheme_end = text.find("://"); scheme_end != std::string::npos;
       scheme_end = text.find("://", scheme_end + 3)) {
    const auto start = scheme_end + 3;
    auto end = start;
    while (end < text.size() && kAuthorityEnd.find(text[end]) == std::string_view::npos) ++end;
    const std::string_view authority = std::string_view(text).substr(start, end - start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) continue;
    const auto colon = authority.substr(0, at).find(':');
    if (colon == std::string_view::npos) continue;
    text.replace(start + colon + 1, at - colon - 1, kMask);
  }
}

// Where the value starting at `start` ends: a quoted key=value value at its
// closing quote, an unquoted one at a blank (backslash escapes the next
// character), a URI query value at '&' or '#'.
std::size_t value_end(const std::string& text, std::size_t start, bool in_uri_query) {
  auto end = start;
  if (!in_uri_query && end < text.size() && text[end] == '\'') {
    for (++end; end < text.size() && text[end] != '\''; ++end) {
      if (text[end] == '\\') ++end;
    }
    return std::min(end + 1, text.size());
  }
  while (end < text.size() && !is_space(text[end]) && text[end] != '"' &&
         !(in_uri_query && (text[end] == '&' || text[end] == '#'))) {
    if (!in_uri_query && text[end] == '\\') ++end;
    ++end;
  }
  return std::min(end, text.size());
}

// password=VALUE as a key=value field (libpq allows blanks around '=') or a
// URI query parameter; "old_password=" and the like are other keys.
void mask_password_values(std::string& text) {
  constexpr std::string_view kKey = "password";
  for (auto at = text.find(kKey); at != std::string::npos; at = text.find(kKey, at + 1)) {
    const char before = at == 0 ? ' ' : text[at - 1];
    const bool in_uri_query = before == '?' || before == '&';
    if (!in_uri_query && !is_space(before) && before != '"') continue;
    auto equals = at + kKey.size();
    while (!in_uri_query && equals < text.size() && is_space(text[equals])) ++equals;
    if (equals >= text.size() || text[equals] != '=') continue;
    auto start = equals + 1;
    while (!in_uri_query && start < text.size() && is_space(text[start])) ++start;
    text.replace(start, value_end(text, start, in_uri_query) - start, kMask);
  }
}

std::string quoted_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string mask_password_fields(std::string text) {
  mask_uri_passwords(text);
  mask_password_values(text);
  return text;
}

std::string redact(std::string message, std::string_view dsn) {
  if (!dsn.empty()) {
    const std::string masked = mask_password_fields(std::string(dsn));
    for (auto at = message.find(dsn); at != std::string::npos; at = message.find(dsn, at + masked.size())) {
      message.replace(at, dsn.size(), masked);
    }
  }
  return mask_password_fields(std::move(message));
}

std::optional<std::string> dsn_problem(std::string_view dsn) {
  std::string why;
  if (parse(dsn, &why)) return std::nullopt;
  // libpq may quote a piece of the DSN: ask it again about the masked DSN,
  // whose pieces hold no password.
  if (!parse(mask_password_fields(std::string(dsn)), &why)) return "invalid DSN: " + why;
  return std::string("invalid DSN: its password field cannot be read (in a URI, write % as %25)");
}

std::string describe_dsn(std::string_view dsn) {
  const auto given = parse(dsn);
  if (!given) return "(invalid DSN)";
  const Conninfo defaults(PQconndefaults());
  const auto value = [&](std::string_view key) {
    std::string v = option(given, key);
    return v.empty() ? option(defaults, key) : v;
  };
  std::string host = value("host");
  if (host.empty()) host = value("hostaddr");
  if (host.empty()) host = "(local socket)";
  std::string port = value("port");
  std::string db = value("dbname");
  if (db.empty()) db = value("user");
  return host + ":" + (port.empty() ? "5432" : port) + (db.empty() ? "" : "/" + db);
}

std::string conninfo_for(std::string_view dsn, std::string_view application_name) {
  if (auto problem = dsn_problem(dsn)) throw InvalidArgument(*problem);
  const auto given = parse(dsn);
  std::string out;
  bool has_fallback = false;
  for (auto* o = given.get(); o && o->keyword; ++o) {
    if (!o->val) continue;
    has_fallback = has_fallback || std::string_view(o->keyword) == "fallback_application_name";
    out += std::string(o->keyword) + "=" + quoted_value(o->val) + " ";
  }
  if (!has_fallback && !application_name.empty()) {
    out += "fallback_application_name=" + quoted_value(application_name);
  }
  return out;
}

}  // namespace meowmx::internal

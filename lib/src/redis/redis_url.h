// Redis URLs: redis://[[user]:password@]host[:port][/database], read by
// their structure so that the password can be hidden wherever a URL is shown.
#ifndef MEOWMX_SRC_REDIS_REDIS_URL_H_
#define MEOWMX_SRC_REDIS_REDIS_URL_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone (Redis before ACLs)
  std::string password;  // empty: no AUTH
  int database = 0;

  // "host:port/database", never the password: for messages.
  std::string describe() const;
};

// Throws InvalidArgument naming the problem; the message never contains the
// password, only the URL as redact_redis_url() shows it.
RedisUrl parse_redis_url(std::string_view url);

// `url` with the password of its userinfo (between the first ':' after the
// scheme's "//" and the last '@' before the path) replaced by "***". Found
// by position, so it works even on a URL that does not parse.
std::string redact_redis_url(std::string_view url);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REDIS_REDIS_URL_H_

#include "redis/redis_url.h"

#include <charconv>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::string_view kScheme = "redis://";

// The userinfo's extent in `url`: [begin, end) before the '@', or npos.
struct Userinfo {
  std::size_t begin = std::string_view::npos;
  std::size_t end = std::string_view::npos;
};

Userinfo find_userinfo(std::string_view url) {
  const std::size_t slashes = url.find("//");
  const std::size_t begin = slashes == std::string_view::npos ? 0 : slashes + 2;
  const std::size_t path = url.find('/', begin);
  const std::string_view authority = url.substr(begin, path == std::string_view::npos ? path : path - begin);
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return {};
  return {begin, begin + at};
}

int parse_number(std::string_view text, int min, int max, const char* what, std::string_view url) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw InvalidArgument("bad Redis URL " + redact_redis_url(url) + ": " + what + " must be a number from " +
                          std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

}  // namespace

std::string RedisUrl::describe() const { return host + ":" + std::to_string(port) + "/" + std::to_string(database); }

std::string redact_redis_url(std::string_view url) {
  const Userinfo info = find_userinfo(url);
  std::string out(url);
  if (info.begin == std::string_view::npos) return out;
  const std::size_t colon = url.substr(info.begin, info.end - info.begin).find(':');
  if (colon == std::string_view::npos) return out;
  out.replace(info.begin + colon + 1, info.end - info.begin - colon - 1, "***");
  return out;
}

RedisUrl parse_redis_url(std::string_view url) {
  if (url.substr(0, kScheme.size()) != kScheme) {
    throw InvalidArgument("bad Redis URL " + redact_redis_url(url) + ": it must start with redis://");
  }
  RedisUrl parsed;
  std::string_view rest = url.substr(kScheme.size());
  const Userinfo info = find_userinfo(url);
  if (info.begin != std::string_view::npos) {
    const std::string_view userinfo = url.substr(info.begin, info.end - info.begin);
    const std::size_t colon = userinfo.find(':');
    parsed.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) parsed.password = std::string(userinfo.substr(colon + 1));
    rest = url.substr(info.end + 1);
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    parsed.database = parse_number(rest.substr(slash + 1), 0, 1 << 20, "the database", url);
  }
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    parsed.port = parse_number(authority.substr(colon + 1), 1, 65535, "the port", url);
    authority = authority.substr(0, colon);
  }
  if (!authority.empty()) parsed.host = std::string(authority);
  return parsed;
}

}  // namespace meowmx::internal

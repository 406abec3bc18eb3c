#include "redis/key_space.h"

#include <ctime>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr long kMostSteps = 1'000'000;

// strftime conversions that change within a minute.
bool finer_than_a_minute(char conversion) {
  constexpr std::string_view kSeconds = "ScrsTX+";
  return kSeconds.find(conversion) != std::string_view::npos;
}

bool changes_every_minute(char conversion) { return conversion == 'M' || conversion == 'R'; }

}  // namespace

KeySpace::KeySpace(std::string pattern)
    : pattern_(std::move(pattern)), fixed_(pattern_.find('%') == std::string::npos), step_(60) {
  if (pattern_.empty()) throw InvalidArgument("the Redis namespace must not be empty");
  for (std::size_t i = 0; i + 1 < pattern_.size(); ++i) {
    if (pattern_[i] != '%') continue;
    std::size_t conversion = i + 1;
    if ((pattern_[conversion] == 'E' || pattern_[conversion] == 'O') && conversion + 1 < pattern_.size()) {
      ++conversion;  // %Ey, %OM
    }
    if (finer_than_a_minute(pattern_[conversion])) {
      throw InvalidArgument("the Redis namespace pattern '" + pattern_ + "' changes every second (%" +
                            pattern_[conversion] + "): use minutes at the finest");
    }
    if (changes_every_minute(pattern_[conversion])) step_ = std::chrono::minutes(1);
    i = conversion;
  }
}

std::string KeySpace::namespace_at(RedisTime time) const {
  if (fixed_) return pattern_;
  const std::time_t seconds =
      static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(time).time_since_epoch().count());
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string out(pattern_.size() + 64, '\0');
  for (;;) {
    // The pattern is the user's by design (as meepo's namespace functions were).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    const std::size_t n = std::strftime(out.data(), out.size(), pattern_.c_str(), &utc);
#pragma GCC diagnostic pop
    if (n > 0 || out.size() > 4096) {
      out.resize(n);
      return out;
    }
    out.resize(out.size() * 2);
  }
}

std::string KeySpace::key(std::string_view event, RedisTime time) const {
  std::string out = namespace_at(time);
  out += ':';
  out += event;
  return out;
}

std::vector<std::string> KeySpace::namespaces_between(RedisTime from, RedisTime to) const {
  if (fixed_) return {pattern_};
  const auto first = std::chrono::floor<std::chrono::minutes>(from);
  if ((to - first) / step_ > kMostSteps) {
    throw InvalidArgument("the time range spans too many Redis namespaces (over a million); narrow it");
  }
  std::vector<std::string> names;
  // Steps start at the finest unit's boundary: every namespace of the range is met.
  const auto start = std::chrono::floor<std::chrono::minutes>(first - first.time_since_epoch() % step_);
  for (auto at = start; at <= to; at += step_) {
    std::string name = namespace_at(std::max<RedisTime>(at, from));
    if (names.empty() || names.back() != name) names.push_back(std::move(name));
  }
  return names;
}

void check_event_name(std::string_view event) {
  if (event.empty()) throw InvalidArgument("the event name must not be empty (e.g. orders_update)");
}

}  // namespace meowmx::internal

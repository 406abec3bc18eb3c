#include "store/utc_timestamp.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace meowmx::internal {
namespace {

// The digits at text[at, at + count), or -1 when one of them is not a digit.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// The offset at the end of `text` ("+HH", "+HH:MM", "+HH:MM:SS") in seconds
// east of UTC; `length` gets its length. False when there is none.
bool parse_offset(std::string_view text, int& seconds, std::size_t& length) {
  for (const std::size_t candidate : {3u, 6u, 9u}) {
    if (text.size() < candidate) return false;
    const std::size_t at = text.size() - candidate;
    const char sign = text[at];
    if (sign != '+' && sign != '-') continue;
    int value = 0;
    for (std::size_t part = 0; part < candidate / 3; ++part) {
      if (part > 0 && text[at + part * 3] != ':') return false;
      const int number = digits(text, at + part * 3 + 1, 2);
      if (number < 0) return false;
      value = value * 60 + number;
    }
    for (std::size_t part = candidate / 3; part < 3; ++part) value *= 60;
    seconds = sign == '-' ? -value : value;
    length = candidate;
    return true;
  }
  return false;
}

}  // namespace

std::string utc_timestamp(std::string_view text) {
  // "YYYY-MM-DD HH:MM:SS" first, then an optional fraction, then the offset.
  int offset = 0;
  std::size_t offset_length = 0;
  if (text.size() < 22 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':' || !parse_offset(text, offset, offset_length)) {
    return std::string(text);
  }
  const std::string_view fraction = text.substr(19, text.size() - offset_length - 19);
  const int year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  const bool fraction_ok = fraction.empty() || (fraction[0] == '.' && fraction.size() <= 7 &&
                                                digits(fraction, 1, fraction.size() - 1) >= 0);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || !fraction_ok) {
    return std::string(text);
  }
  std::string out;
  out.reserve(27);
  if (offset == 0) {
    out.append(text.substr(0, 19));
    out[10] = 'T';
  } else {
    using namespace std::chrono;
    const sys_seconds local = sys_days(year_month_day(std::chrono::year(year), std::chrono::month(month),
                                                      std::chrono::day(day))) +
                              hours(hour) + minutes(minute) + seconds(second);
    const sys_seconds utc = local - seconds(offset);
    const auto utc_day = floor<days>(utc);
    const year_month_day date(utc_day);
    const hh_mm_ss time(utc - utc_day);
    if (int(date.year()) < 1 || int(date.year()) > 9999) return std::string(text);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                  int(time.minutes().count()), int(time.seconds().count()));
    out.append(buffer, 19);
  }
  out += '.';
  if (!fraction.empty()) out.append(fraction.substr(1));
  out.append(7 - std::max<std::size_t>(fraction.size(), 1), '0');
  out += 'Z';
  return out;
}

}  // namespace meowmx::internal

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
  // Every event read goes through here: one pass, one allocation, and the
  // calendar only for an offset other than UTC.
  int offset = 0;
  std::size_t offset_length = 0;
  if (text.size() < 22 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':' || !parse_offset(text, offset, offset_length)) {
    return std::string(text);
  }
  for (const std::size_t at : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (text[at] < '0' || text[at] > '9') return std::string(text);
  }
  const std::string_view fraction = text.substr(19, text.size() - offset_length - 19);
  const std::size_t fraction_digits = fraction.empty() ? 0 : fraction.size() - 1;
  if (!fraction.empty() &&
      (fraction[0] != '.' || fraction_digits > 6 || digits(fraction, 1, fraction_digits) < 0)) {
    return std::string(text);
  }
  char out[27];  // YYYY-MM-DDTHH:MM:SS.ffffffZ
  if (offset == 0) {
    std::copy_n(text.data(), 19, out);
  } else {
    using namespace std::chrono;
    const sys_seconds local = sys_days(year_month_day(std::chrono::year(digits(text, 0, 4)),
                                                      std::chrono::month(digits(text, 5, 2)),
                                                      std::chrono::day(digits(text, 8, 2)))) +
                              hours(digits(text, 11, 2)) + minutes(digits(text, 14, 2)) +
                              seconds(digits(text, 17, 2));
    const sys_seconds utc = local - seconds(offset);
    const auto utc_day = floor<days>(utc);
    const year_month_day date(utc_day);
    const hh_mm_ss time(utc - utc_day);
    if (int(date.year()) < 1 || int(date.year()) > 9999) return std::string(text);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u %02d:%02d:%02d", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                  int(time.minutes().count()), int(time.seconds().count()));
    std::copy_n(buffer, 19, out);
  }
  out[10] = 'T';
  out[19] = '.';
  std::copy_n(fraction.data() + (fraction.empty() ? 0 : 1), fraction_digits, out + 20);
  std::fill_n(out + 20 + fraction_digits, 6 - fraction_digits, '0');
  out[26] = 'Z';
  return std::string(out, sizeof out);
}

}  // namespace meowmx::internal

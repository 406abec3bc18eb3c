#include "capture/mariadb/column_values.h"

#include <mysql.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdio>

#include "capture/mariadb/mysql_json.h"
#include "common/base64.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::uint32_t kBinaryCollation = 63;

Value number(std::string text) { return {Value::Kind::kNumber, std::move(text)}; }
Value string(std::string text) { return {Value::Kind::kString, std::move(text)}; }

std::int64_t sign_extend(std::uint64_t value, std::size_t bytes) {
  const unsigned shift = 64 - 8 * static_cast<unsigned>(bytes);
  return static_cast<std::int64_t>(value << shift) >> shift;
}

Value integer(const BinlogColumn& column, BinlogReader& in, std::size_t bytes) {
  const std::uint64_t raw = in.uint_le(bytes);
  return number(column.is_unsigned ? std::to_string(raw) : std::to_string(sign_extend(raw, bytes)));
}

template <class Float>
Value floating(BinlogReader& in) {
  using Bits = std::conditional_t<sizeof(Float) == 4, std::uint32_t, std::uint64_t>;
  const auto value = std::bit_cast<Float>(static_cast<Bits>(in.uint_le(sizeof(Float))));
  std::array<char, 64> text{};
  const auto end = std::to_chars(text.data(), text.data() + text.size(), value).ptr;
  return number(std::string(text.data(), end));
}

// Appends `value` zero-padded to at least `width` digits (at most 9), as
// printf's %0*u does, in one append: every temporal and DECIMAL column of
// every row goes here several times.
void append_padded(std::string& out, std::uint64_t value, int width) {
  char digits[24];
  char* const last = digits + sizeof digits;
  char* first = last;
  do {
    *--first = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (last - first < width) *--first = '0';
  out.append(first, static_cast<std::size_t>(last - first));
}

// MySQL's binary DECIMAL: groups of 9 digits in 4 bytes, a shorter group for
// the leading integer and trailing fraction digits, big-endian, the sign in
// the top bit (set when positive) and every byte inverted when negative.
// The digits are written straight into the value's text.
Value decimal(const BinlogColumn& column, BinlogReader& in) {
  static constexpr int kDigitBytes[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  const int precision = column.meta >> 8;
  const int scale = column.meta & 0xFF;
  const int integer_digits = precision - scale;
  const int full_integer = integer_digits / 9, lead = integer_digits % 9;
  const int full_fraction = scale / 9, trail = scale % 9;
  const std::size_t size = full_integer * 4 + kDigitBytes[lead] + full_fraction * 4 + kDigitBytes[trail];
  const std::string_view bytes = in.take(size);
  if (bytes.empty()) throw Error("binlog: a DECIMAL of no digits");
  const bool negative = (static_cast<unsigned char>(bytes[0]) & 0x80) == 0;
  const unsigned inverted = negative ? 0xFF : 0x00;
  std::size_t at = 0;
  std::string text;
  text.reserve(static_cast<std::size_t>(precision) + 3);
  auto group = [&](int count) {
    std::uint64_t value = 0;
    for (int i = 0; i < kDigitBytes[count]; ++i, ++at) {
      const unsigned byte = (static_cast<unsigned char>(bytes[at]) ^ inverted) ^ (at == 0 ? 0x80 : 0x00);
      value = (value << 8) | byte;
    }
    append_padded(text, value, count);
  };
  if (negative) text += '-';
  const std::size_t whole = text.size();
  if (lead > 0) group(lead);
  for (int i = 0; i < full_integer; ++i) group(9);
  // The integer part without its leading zeros; "0" when it has no other digit.
  const auto first = text.find_first_not_of('0', whole);
  if (first == std::string::npos) {
    text.resize(whole);
    text += '0';
  } else {
    text.erase(whole, first - whole);
  }
  if (scale > 0) {
    text += '.';
    for (int i = 0; i < full_fraction; ++i) group(9);
    if (trail > 0) group(trail);
  }
  // Zero has no sign.
  if (negative && text.find_first_not_of("0.", 1) == std::string::npos) text.erase(0, 1);
  return string(std::move(text));
}

// The fraction of `fsp` digits (1..6) from microseconds, with its point.
void append_fraction(std::string& out, std::uint64_t microseconds, int fsp) {
  if (fsp <= 0) return;
  const std::size_t point = out.size();
  out += '.';
  append_padded(out, microseconds % 1000000, 6);
  out.resize(point + 1 + static_cast<std::size_t>(std::min(fsp, 6)));
}

// The fractional seconds of TIME2/DATETIME2/TIMESTAMP2 as microseconds:
// (fsp + 1) / 2 big-endian bytes.
std::uint64_t read_fraction(BinlogReader& in, int fsp) {
  switch ((fsp + 1) / 2) {
    case 1:
      return in.uint_be(1) * 10000;
    case 2:
      return in.uint_be(2) * 100;
    case 3:
      return in.uint_be(3);
    default:
      return 0;
  }
}

// "first<separator>second<separator>third", the first zero-padded to
// `first_width` digits and the others to two.
void append_three_fields(std::string& out, unsigned first, int first_width, char separator, unsigned second,
                         unsigned third) {
  append_padded(out, first, first_width);
  out += separator;
  append_padded(out, second, 2);
  out += separator;
  append_padded(out, third, 2);
}

void append_date(std::string& out, unsigned year, unsigned month, unsigned day) {
  append_three_fields(out, year, 4, '-', month, day);
}

void append_clock(std::string& out, unsigned hour, unsigned minute, unsigned second) {
  append_three_fields(out, hour, 2, ':', minute, second);
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]": room for the longest, so one allocation at most.
std::string date_time_text() {
  std::string text;
  text.reserve(26);
  return text;
}

Value date(BinlogReader& in) {
  const auto packed = static_cast<unsigned>(in.uint_le(3));
  std::string text;
  append_date(text, packed >> 9, (packed >> 5) & 15, packed & 31);
  return string(std::move(text));
}

// TIME2: 3 bytes of sign-offset hours/minutes/seconds, then the fraction;
// negative times store the fraction as its complement (MySQL's
// my_time_packed_from_binary).
Value time2(const BinlogColumn& column, BinlogReader& in) {
  const int fsp = column.meta;
  constexpr std::int64_t kIntOffset = 0x800000;
  std::int64_t packed = 0;
  switch ((fsp + 1) / 2) {
    case 0:
      packed = (static_cast<std::int64_t>(in.uint_be(3)) - kIntOffset) * (std::int64_t{1} << 24);
      break;
    case 1:
    case 2: {
      std::int64_t whole = static_cast<std::int64_t>(in.uint_be(3)) - kIntOffset;
      const bool one_byte = (fsp + 1) / 2 == 1;
      std::int64_t fraction = static_cast<std::int64_t>(in.uint_be(one_byte ? 1 : 2));
      if (whole < 0 && fraction != 0) {
        ++whole;
        fraction -= one_byte ? 0x100 : 0x10000;
      }
      packed = whole * (std::int64_t{1} << 24) + fraction * (one_byte ? 10000 : 100);
      break;
    }
    default:
      packed = static_cast<std::int64_t>(in.uint_be(6)) - 0x800000000000LL;
      break;
  }
  const bool negative = packed < 0;
  if (negative) packed = -packed;
  const auto hms = static_cast<std::uint64_t>(packed >> 24);
  const auto microseconds = static_cast<std::uint64_t>(packed % (1 << 24));
  std::string text;
  if (negative) text += '-';
  append_clock(text, static_cast<unsigned>((hms >> 12) % (1 << 10)), static_cast<unsigned>((hms >> 6) % 64),
               static_cast<unsigned>(hms % 64));
  append_fraction(text, microseconds, fsp);
  return string(std::move(text));
}

Value datetime2(const BinlogColumn& column, BinlogReader& in) {
  const int fsp = column.meta;
  const std::uint64_t whole = in.uint_be(5) - 0x8000000000ULL;
  const std::uint64_t microseconds = read_fraction(in, fsp);
  const std::uint64_t ymd = whole >> 17;
  const std::uint64_t hms = whole % (1 << 17);
  const std::uint64_t year_month = ymd >> 5;
  std::string text = date_time_text();
  append_date(text, static_cast<unsigned>(year_month / 13), static_cast<unsigned>(year_month % 13),
              static_cast<unsigned>(ymd % 32));
  text += ' ';
  append_clock(text, static_cast<unsigned>(hms >> 12), static_cast<unsigned>((hms >> 6) % 64),
               static_cast<unsigned>(hms % 64));
  append_fraction(text, microseconds, fsp);
  return string(std::move(text));
}

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
void append_civil_date(std::string& out, std::int64_t days) {
  days += 719468;
  const std::int64_t era = days / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const auto year = static_cast<unsigned>(year_of_era + era * 400 + (month <= 2));
  append_date(out, year, month, day);
}

Value timestamp2(const BinlogColumn& column, BinlogReader& in) {
  const int fsp = column.meta;
  const std::uint64_t seconds = in.uint_be(4);
  const std::uint64_t microseconds = read_fraction(in, fsp);
  std::string text = date_time_text();
  if (seconds == 0 && microseconds == 0) {
    text += "0000-00-00 00:00:00";
  } else {
    const std::uint64_t in_day = seconds % 86400;
    append_civil_date(text, static_cast<std::int64_t>(seconds / 86400));
    text += ' ';
    append_clock(text, static_cast<unsigned>(in_day / 3600), static_cast<unsigned>(in_day / 60 % 60),
                 static_cast<unsigned>(in_day % 60));
  }
  append_fraction(text, microseconds, fsp);
  return string(std::move(text));
}

// MySQL's latin1 is Windows-1252: 0x80..0x9F are letters and signs there.
constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const unsigned code = byte >= 0x80 && byte < 0xA0 ? kCp1252High[byte - 0x80] : byte;
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

bool is_latin1(std::uint32_t collation) {
  switch (collation) {
    case 5:
    case 8:
    case 15:
    case 31:
    case 47:
    case 48:
    case 49:
    case 94:
      return true;
    default:
      return false;
  }
}

// Text of a character column: latin1 converted, UTF-8 (utf8mb3, utf8mb4,
// ascii) as it is, a binary collation as base64.
Value characters(const BinlogColumn& column, std::string_view bytes) {
  if (column.collation == kBinaryCollation) return string(base64_encode(bytes));
  if (is_latin1(column.collation)) return string(latin1_to_utf8(bytes));
  return string(std::string(bytes));
}

std::string inet6_text(std::string_view bytes) {
  char text[64];
  char address[16];
  for (std::size_t i = 0; i < 16; ++i) address[i] = bytes[i];
  // An IPv4-mapped address prints as MariaDB prints it: ::ffff:1.2.3.4.
  const bool mapped = std::all_of(address, address + 10, [](char c) { return c == 0; }) &&
                      static_cast<unsigned char>(address[10]) == 0xFF && static_cast<unsigned char>(address[11]) == 0xFF;
  if (mapped) {
    std::snprintf(text, sizeof text, "::ffff:%u.%u.%u.%u", static_cast<unsigned char>(address[12]),
                  static_cast<unsigned char>(address[13]), static_cast<unsigned char>(address[14]),
                  static_cast<unsigned char>(address[15]));
    return text;
  }
  // RFC 5952: lowercase hex groups, the longest run of two or more zero groups as ::.
  unsigned groups[8];
  for (int i = 0; i < 8; ++i) {
    groups[i] = (static_cast<unsigned char>(address[2 * i]) << 8) | static_cast<unsigned char>(address[2 * i + 1]);
  }
  int best = -1, best_length = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    char group[8];
    std::snprintf(group, sizeof group, "%x", groups[i]);
    out += group;
  }
  return out;
}

// CHAR/BINARY: a 1-byte length up to 255 bytes, else 2; the length's high
// bits ride in the metadata's type byte.
Value fixed_string(const BinlogColumn& column, BinlogReader& in) {
  const std::uint8_t byte0 = column.meta >> 8;
  const std::uint8_t byte1 = column.meta & 0xFF;
  const unsigned max_length = (byte0 & 0x30) != 0x30 ? byte1 | (((byte0 & 0x30) ^ 0x30) << 4) : byte1;
  std::string bytes(in.take(in.uint_le(max_length > 255 ? 2 : 1)));
  // The binlog drops a BINARY's trailing zero bytes, as a CHAR's trailing
  // spaces (which SELECT drops too); the column holds them.
  if (column.collation == kBinaryCollation && bytes.size() < max_length) bytes.resize(max_length, '\0');
  if (column.sql_type == "uuid" && bytes.size() == 16) return string(uuid_text(bytes));
  if (column.sql_type == "inet6" && bytes.size() == 16) return string(inet6_text(bytes));
  return characters(column, bytes);
}

Value enum_value(const BinlogColumn& column, BinlogReader& in) {
  const auto index = in.uint_le(column.meta & 0xFF);
  if (index == 0) return string("");  // the error value '' of a non-strict insert
  if (index > column.elements.size()) return number(std::to_string(index));
  return string(column.elements[index - 1]);
}

Value set_value(const BinlogColumn& column, BinlogReader& in) {
  const auto bits = in.uint_le(column.meta & 0xFF);
  std::string text;
  for (std::size_t i = 0; i < column.elements.size() && i < 64; ++i) {
    if ((bits >> i) & 1) text += (text.empty() ? "" : ",") + column.elements[i];
  }
  return string(std::move(text));
}

Value bit_value(const BinlogColumn& column, BinlogReader& in) {
  const unsigned bytes = (column.meta & 0xFF) + ((column.meta >> 8) > 0 ? 1 : 0);
  return number(std::to_string(in.uint_be(bytes)));
}

}  // namespace

Value decode_column(const BinlogColumn& column, BinlogReader& in) {
  switch (column.type) {
    case MYSQL_TYPE_TINY:
      return integer(column, in, 1);
    case MYSQL_TYPE_SHORT:
      return integer(column, in, 2);
    case MYSQL_TYPE_INT24:
      return integer(column, in, 3);
    case MYSQL_TYPE_LONG:
      return integer(column, in, 4);
    case MYSQL_TYPE_LONGLONG:
      return integer(column, in, 8);
    case MYSQL_TYPE_FLOAT:
      return floating<float>(in);
    case MYSQL_TYPE_DOUBLE:
      return floating<double>(in);
    case MYSQL_TYPE_NEWDECIMAL:
      return decimal(column, in);
    case MYSQL_TYPE_YEAR: {
      const auto year = in.u8();
      return number(std::to_string(year == 0 ? 0 : 1900 + year));
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
      return date(in);
    case MYSQL_TYPE_TIME2:
      return time2(column, in);
    case MYSQL_TYPE_DATETIME2:
      return datetime2(column, in);
    case MYSQL_TYPE_TIMESTAMP2:
      return timestamp2(column, in);
    case MYSQL_TYPE_BIT:
      return bit_value(column, in);
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
      return characters(column, in.take(in.uint_le(column.meta > 255 ? 2 : 1)));
    case MYSQL_TYPE_STRING:
      return fixed_string(column, in);
    case MYSQL_TYPE_ENUM:
      return enum_value(column, in);
    case MYSQL_TYPE_SET:
      return set_value(column, in);
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
      return characters(column, in.take(in.uint_le(column.meta)));
    case MYSQL_TYPE_GEOMETRY: {
      // MySQL's internal form: a 4-byte SRID, then the WKB.
      const auto bytes = in.take(in.uint_le(column.meta));
      return string(base64_encode(bytes.size() >= 4 ? bytes.substr(4) : bytes));
    }
    case MYSQL_TYPE_JSON:
      return {Value::Kind::kJson, mysql_json_to_text(in.take(in.uint_le(column.meta)))};
    default:
      throw Error("binlog: column '" + column.name + "' has type " + std::to_string(column.type) +
                  ", which meowmx cannot decode (old-style TIME/DATETIME/TIMESTAMP? set "
                  "mysql56_temporal_format=ON and rebuild the table)");
  }
}

}  // namespace meowmx::internal

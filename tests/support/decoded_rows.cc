#include "support/decoded_rows.h"

#include <charconv>
#include <sstream>
#include <string_view>

#include "meowmx/error.h"

namespace meowmx::testing {
namespace {

constexpr std::string_view kRowPrefix = "### ";
constexpr std::string_view kValuePrefix = "###   @";

// "`db`.`table`" to "db.table".
std::string table_name(std::string_view quoted) {
  std::string name;
  for (const char c : quoted) {
    if (c != '`') name += c;
  }
  return name;
}

std::string unescape(std::string_view quoted, const std::string& line) {
  std::string bytes;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 3 < quoted.size() && quoted[i + 1] == 'x') {
      unsigned byte = 0;
      const auto [end, error] = std::from_chars(quoted.data() + i + 2, quoted.data() + i + 4, byte, 16);
      if (error != std::errc{} || end != quoted.data() + i + 4) throw Error("bad \\x escape in: " + line);
      bytes += static_cast<char>(byte);
      i += 3;
    } else {
      bytes += quoted[i];
    }
  }
  return bytes;
}

// "@3='x' /* VARSTRING(40) meta=40 nullable=1 is_null=0 */" after the "@".
std::pair<int, DecodedValue> value_line(std::string_view rest, const std::string& line) {
  int column = 0;
  const auto [number_end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), column);
  if (error != std::errc{} || number_end == rest.data() + rest.size() || *number_end != '=') {
    throw Error("bad column number in: " + line);
  }
  rest.remove_prefix(number_end - rest.data() + 1);
  const auto comment = rest.rfind(" /* ");
  const auto meta = rest.find(" meta=", comment);
  if (comment == std::string_view::npos || meta == std::string_view::npos) throw Error("no type comment in: " + line);
  DecodedValue value;
  value.type = std::string(rest.substr(comment + 4, meta - comment - 4));
  std::string_view printed = rest.substr(0, comment);
  while (!printed.empty() && printed.back() == ' ') printed.remove_suffix(1);  // FLOAT's padding
  if (printed.size() >= 2 && printed.front() == '\'' && printed.back() == '\'') {
    value.quoted = true;
    value.text = unescape(printed.substr(1, printed.size() - 2), line);
  } else {
    value.null = printed == "NULL";
    value.text = std::string(printed);
  }
  return {column, std::move(value)};
}

}  // namespace

std::vector<DecodedRow> parse_decoded_rows(const std::string& text) {
  std::vector<DecodedRow> rows;
  DecodedImage* image = nullptr;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string_view view = line;
    if (view.starts_with(kValuePrefix)) {
      if (!image) throw Error("a value outside a row image: " + line);
      image->insert(value_line(view.substr(kValuePrefix.size()), line));
      continue;
    }
    if (!view.starts_with(kRowPrefix)) continue;
    const std::string_view what = view.substr(kRowPrefix.size());
    if (what == "SET") {
      if (rows.empty()) throw Error("SET before a row: " + line);
      image = &rows.back().after;
    } else if (what == "WHERE") {
      if (rows.empty()) throw Error("WHERE before a row: " + line);
      image = &rows.back().before;
    } else {
      for (const std::string_view action : {"INSERT INTO ", "UPDATE ", "DELETE FROM "}) {
        if (!what.starts_with(action)) continue;
        DecodedRow row;
        row.action = std::string(action.substr(0, action.find(' ')));
        row.table = table_name(what.substr(action.size()));
        rows.push_back(std::move(row));
        image = nullptr;
      }
    }
  }
  return rows;
}

}  // namespace meowmx::testing

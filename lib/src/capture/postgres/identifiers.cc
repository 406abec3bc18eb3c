#include "capture/postgres/identifiers.h"

#include <algorithm>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::size_t kMaxIdentifierLength = 63;  // PostgreSQL's NAMEDATALEN - 1

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierLength || !is_letter(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_letter(c) || is_digit(c) || c == '$'; });
}

// A short, one-line excerpt of user input for messages.
std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 70;
  std::string out;
  for (char c : text.substr(0, kShown)) out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
  return out + (text.size() > kShown ? "..." : "");
}

[[noreturn]] void bad_table(std::string_view text, std::string_view why) {
  throw InvalidArgument("invalid table name '" + shown(text) + "': " + std::string(why));
}

// Reads one part of [schema.]table from `text` at `at`, which ends at the
// dot or the end. Returns the part as PostgreSQL names it.
std::string read_part(std::string_view text, std::size_t& at) {
  std::string part;
  if (at < text.size() && text[at] == '"') {
    ++at;
    for (;;) {
      if (at >= text.size()) bad_table(text, "a double quote is not closed");
      if (text[at] == '"') {
        if (at + 1 < text.size() && text[at + 1] == '"') {
          part += '"';
          at += 2;
          continue;
        }
        ++at;
        break;
      }
      part += text[at++];
    }
    if (part.empty()) bad_table(text, "a quoted name is empty");
    if (part.size() > kMaxIdentifierLength) bad_table(text, "a name is longer than 63 bytes");
    if (part.find('\0') != std::string::npos) bad_table(text, "a name contains NUL");
    return part;
  }
  const std::size_t end = std::min(text.find('.', at), text.size());
  part = std::string(text.substr(at, end - at));
  at = end;
  if (!is_plain_identifier(part)) {
    bad_table(text,
              "use table or schema.table, each a letter or '_' then letters, digits, '_' or '$' (at most 63), "
              "or a name in double quotes");
  }
  return part;
}

}  // namespace

TableName parse_table_name(std::string_view text) {
  std::size_t at = 0;
  std::string first = read_part(text, at);
  if (at == text.size()) return TableName{"public", std::move(first)};
  if (text[at] != '.') bad_table(text, "expected '.' or the end after a quoted name");
  ++at;
  std::string second = read_part(text, at);
  if (at != text.size()) bad_table(text, "use at most schema.table");
  return TableName{std::move(first), std::move(second)};
}

std::vector<TableName> parse_table_names(const std::vector<std::string>& tables) {
  if (tables.empty()) throw InvalidArgument("no tables given: name at least one table to capture");
  std::vector<TableName> parsed;
  for (const auto& table : tables) {
    auto name = parse_table_name(table);
    if (std::find(parsed.begin(), parsed.end(), name) == parsed.end()) parsed.push_back(std::move(name));
  }
  return parsed;
}

std::string table_stem(const TableName& table) {
  return table.space == "public" ? table.name : table.space + "." + table.name;
}

std::string quote_table(const TableName& table) {
  return quote_identifier(table.space) + "." + quote_identifier(table.name);
}

std::string display_table(const TableName& table) { return table.space + "." + table.name; }

void check_slot_name(std::string_view slot) {
  bool ok = !slot.empty() && slot.size() <= kMaxIdentifierLength;
  for (char c : slot) ok = ok && ((c >= 'a' && c <= 'z') || is_digit(c) || c == '_');
  if (!ok) {
    throw InvalidArgument("invalid slot name '" + shown(slot) +
                          "': use lowercase letters, digits and '_' (at most 63)");
  }
}

void check_publication_name(std::string_view publication) {
  if (!is_plain_identifier(publication) || publication.find('$') != std::string_view::npos) {
    throw InvalidArgument("invalid publication name '" + shown(publication) +
                          "': use a letter or '_' then letters, digits or '_' (at most 63)");
  }
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace meowmx::internal

#include "capture/postgres/identifiers.h"

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::size_t kMaxIdentifierLength = 63;  // PostgreSQL's NAMEDATALEN - 1

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxIdentifierLength) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(name[0])) return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 70;
  return std::string(text.substr(0, kShown)) + (text.size() > kShown ? "..." : "");
}

}  // namespace

TableName TableName::parse(std::string_view text) {
  TableName table;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) {
    table.name = std::string(text);
  } else {
    table.schema = std::string(text.substr(0, dot));
    table.name = std::string(text.substr(dot + 1));
  }
  if (!is_plain_identifier(table.schema) || !is_plain_identifier(table.name)) {
    throw InvalidArgument("invalid table name '" + shown(text) +
                          "': use table or schema.table, each a letter or '_' then letters, "
                          "digits or '_' (at most 63)");
  }
  return table;
}

std::string TableName::signal_prefix() const { return schema == "public" ? name : schema + "." + name; }

std::string TableName::quoted() const { return quote_identifier(schema) + "." + quote_identifier(name); }

std::vector<TableName> parse_tables(const std::vector<std::string>& tables) {
  if (tables.empty()) throw InvalidArgument("no tables given: name at least one table to capture");
  std::vector<TableName> parsed;
  for (const auto& table : tables) {
    auto name = TableName::parse(table);
    bool seen = false;
    for (const auto& other : parsed) seen = seen || other == name;
    if (!seen) parsed.push_back(std::move(name));
  }
  return parsed;
}

void check_slot_name(std::string_view slot) {
  bool ok = !slot.empty() && slot.size() <= kMaxIdentifierLength;
  for (char c : slot) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) {
    throw InvalidArgument("invalid slot name '" + shown(slot) +
                          "': use lowercase letters, digits and '_' (at most 63)");
  }
}

void check_publication_name(std::string_view publication) {
  if (!is_plain_identifier(publication)) {
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

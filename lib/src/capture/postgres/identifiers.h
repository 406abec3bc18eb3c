// Identifiers: the names a user gives change capture (tables, slot,
// publication) are checked here before any SQL is built, then always quoted.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_

#include <string>
#include <string_view>
#include <vector>

namespace meowmx::internal {

// [schema.]table. Each part is taken exactly as written (no case folding),
// so "Orders" names a table created as "Orders".
struct TableName {
  std::string schema = "public";
  std::string name;

  // Throws InvalidArgument unless each part is a letter or '_' then letters,
  // digits or '_', at most 63 bytes.
  static TableName parse(std::string_view text);
  // "orders" for public.orders, else "schema.table": the signal and event names' stem.
  std::string signal_prefix() const;
  // "schema"."table", for SQL.
  std::string quoted() const;

  bool operator==(const TableName&) const = default;
};

std::vector<TableName> parse_tables(const std::vector<std::string>& tables);

// Replication slot names: lowercase letters, digits and '_', at most 63
// (PostgreSQL's own rule, checked early for a clear message).
void check_slot_name(std::string_view slot);
// Publications: a letter or '_' then letters, digits or '_', at most 63.
void check_publication_name(std::string_view publication);

// A double-quoted SQL identifier.
std::string quote_identifier(std::string_view name);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_

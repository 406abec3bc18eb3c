// Identifiers: PostgreSQL's naming rules for change capture. Table names as
// users write them ("orders", "sales.orders", "\"Odd Schema\".\"order-items\"")
// become generic TableNames here, and everything that goes into SQL is quoted.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_

#include <string>
#include <string_view>
#include <vector>

#include "meowmx/capture/table.h"

namespace meowmx::internal {

// [schema.]table: double-quoted parts are taken exactly ("" for a quote), so
// any name PostgreSQL accepts can be given; unquoted parts must be plain
// identifiers (a letter or '_', then letters, digits, '_' or '$') and are
// taken as written, without case folding ("Orders" is the table created as
// "Orders"). The schema defaults to public. Throws InvalidArgument naming
// the problem.
TableName parse_table_name(std::string_view text);
// Parses each and drops repeats; throws InvalidArgument for none.
std::vector<TableName> parse_table_names(const std::vector<std::string>& tables);

// The stem of the table's event names: the name alone in the schema public,
// else "schema.name" (both as PostgreSQL spells them).
std::string table_stem(const TableName& table);
// "schema"."table", for SQL.
std::string quote_table(const TableName& table);
// schema.table, for messages.
std::string display_table(const TableName& table);

// Replication slot names: lowercase letters, digits and '_', at most 63
// (PostgreSQL's own rule, checked early for a clear message).
void check_slot_name(std::string_view slot);
// Publications: a letter or '_' then letters, digits or '_', at most 63.
void check_publication_name(std::string_view publication);

// A double-quoted SQL identifier.
std::string quote_identifier(std::string_view name);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_IDENTIFIERS_H_

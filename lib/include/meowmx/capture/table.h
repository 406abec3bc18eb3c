// Tables as change capture sees them, whatever the source: a namespace
// (PostgreSQL's schema, MySQL's database) and a name, taken exactly as the
// server spells them, plus the stem of the events named after the table.
#ifndef MEOWMX_CAPTURE_TABLE_H_
#define MEOWMX_CAPTURE_TABLE_H_

#include <string>
#include <vector>

namespace meowmx {

struct TableName {
  std::string space;  // schema or database
  std::string name;

  bool operator==(const TableName&) const = default;
};

// A table a source captures, resolved against its server.
struct CapturedTable {
  TableName name;
  // The stem of the table's event names ("orders" in "orders_update"); the
  // source chooses it (PostgreSQL: the name alone in the schema public, else
  // "schema.name").
  std::string stem;
  std::vector<std::string> key;  // primary key columns in key order
};

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_TABLE_H_

#include "log_query.h"

#include "event_row.h"

namespace meowmx::internal {

std::string log_page_sql(const LogFilter& filter) {
  std::string sql = std::string("SELECT ") + kEventColumns +
                    " FROM meowmx.events WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())"
                    " AND (tx_id, id) > ($1::xid8, $2::bigint)";
  int next = 4;
  if (filter.by_category) {
    sql += " AND aggregate_type = ANY($" + std::to_string(next++) + "::text[])";
  }
  if (filter.by_group) {
    const std::string size = "$" + std::to_string(next++);
    const std::string member = "$" + std::to_string(next++);
    sql += " AND meowmx.group_member_of(aggregate_id::text, " + size + "::integer) = " + member +
           "::integer";
  }
  // Qualified: the select list turns tx_id into text, and a bare name would
  // sort by that output column, so 10000 before 9999.
  return sql + " ORDER BY events.tx_id, events.id LIMIT $3::bigint";
}

std::string text_array_literal(const std::vector<std::string>& names) {
  std::string out = "{";
  for (const auto& name : names) {
    if (out.size() > 1) out += ',';
    out += name;
  }
  return out + "}";
}

}  // namespace meowmx::internal

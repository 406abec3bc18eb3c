#include "store/log_query.h"

namespace meowmx::internal {

std::string log_page_sql(const LogPage& page, std::string_view columns) {
  std::string sql = "SELECT " + std::string(columns) +
                    " FROM meowmx.events WHERE events.tx_id < pg_snapshot_xmin(pg_current_snapshot())"
                    " AND (events.tx_id, events.id) > (" +
                    page.after_tx_id + ", " + page.after_id + ")";
  if (!page.categories.empty()) sql += " AND events.aggregate_type = ANY(" + page.categories + ")";
  if (!page.group_size.empty()) {
    // As a CASE, which the planner takes to keep one row in two. Written as a
    // plain `=` on a function, it would be taken to keep one in 200, and a
    // page would sort the whole rest of the log instead of walking the
    // (tx_id, id) index up to the LIMIT.
    sql += " AND CASE WHEN meowmx.group_member_of(events.aggregate_id::text, " + page.group_size +
           ") = " + page.group_member + " THEN true ELSE false END";
  }
  // Qualified: a select list may turn tx_id into text, and a bare name would
  // sort by that output column, so 10000 before 9999.
  return sql + " ORDER BY events.tx_id, events.id LIMIT " + page.limit;
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

#include "store/log_query.h"

namespace meowmx::internal {

std::string log_page_sql(const LogPage& page, std::string_view columns) {
  std::string sql = "SELECT " + std::string(columns) +
                    " FROM meowmx.events WHERE events.tx_id < pg_snapshot_xmin(pg_current_snapshot())"
                    " AND (events.tx_id, events.id) > (" +
                    page.after_tx_id + ", " + page.after_id + ")";
  if (!page.categories.empty()) sql += " AND events.aggregate_type = ANY(" + page.categories + ")";
  if (!page.group_size.empty()) {
    sql += " AND events.member_hash % " + page.group_size + " = " + page.group_member;
  }
  // Qualified: a select list may turn tx_id into text, and a bare name would
  // sort by that output column, so 10000 before 9999.
  return sql + " ORDER BY events.tx_id, events.id LIMIT " + page.limit;
}

std::string group_index_name(int group_size, int group_member) {
  return "events_member_" + std::to_string(group_member) + "_of_" + std::to_string(group_size);
}

std::string group_index_sql(int group_size, int group_member) {
  return "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + group_index_name(group_size, group_member) +
         " ON meowmx.events (tx_id, id) WHERE member_hash % " + std::to_string(group_size) + " = " +
         std::to_string(group_member);
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

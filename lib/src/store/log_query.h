// Log query: the one SELECT that pages through the global log in the order
// readers can trust, shared by Client::read and subscriptions.
#ifndef MEOWMX_SRC_STORE_LOG_QUERY_H_
#define MEOWMX_SRC_STORE_LOG_QUERY_H_

#include <string>
#include <string_view>
#include <vector>

namespace meowmx::internal {

// What a page reads, as SQL expressions (parameters, or subqueries of the
// statement around it).
struct LogPage {
  std::string after_tx_id;        // xid8: the position to read after...
  std::string after_id;           // ...and its bigint id
  std::string limit;              // bigint
  std::string categories = {};    // text[] of aggregate types; empty: every type
  // Integer literals, not parameters, so the planner matches the member's
  // index (group_index_sql()); empty: no consumer group.
  std::string group_size = {};
  std::string group_member = {};
};

// SELECT `columns` FROM meowmx.events, in (tx_id, id) order after the
// position. Only rows of transactions below the snapshot's xmin are
// returned: every transaction that could still commit an earlier (tx_id, id)
// has finished by then, so paging never skips a late commit.
std::string log_page_sql(const LogPage& page, std::string_view columns);

// The index meowmx.events_member_<member>_of_<size>: (tx_id, id) of the
// member's events only, so a page reads no other member's rows. Partial, so
// the planner takes it over the whole log's index (an index on the member
// expression looks no cheaper to it). CONCURRENTLY, so saves go on while it
// is built; it waits for the transactions already running.
std::string group_index_sql(int group_size, int group_member);
// The index's name in schema meowmx.
std::string group_index_name(int group_size, int group_member);

// A text[] literal of validated names (no quotes, commas or braces to escape).
std::string text_array_literal(const std::vector<std::string>& names);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_LOG_QUERY_H_

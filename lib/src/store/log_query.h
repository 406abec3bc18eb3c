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
  std::string group_size = {};    // integer; empty: no consumer group
  std::string group_member = {};  // integer, with group_size
};

// SELECT `columns` FROM meowmx.events, in (tx_id, id) order after the
// position. Only rows of transactions below the snapshot's xmin are
// returned: every transaction that could still commit an earlier (tx_id, id)
// has finished by then, so paging never skips a late commit.
std::string log_page_sql(const LogPage& page, std::string_view columns);

// A text[] literal of validated names (no quotes, commas or braces to escape).
std::string text_array_literal(const std::vector<std::string>& names);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_LOG_QUERY_H_

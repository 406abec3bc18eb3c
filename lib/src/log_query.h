// Log query: the one SELECT that pages through the global log in the order
// readers can trust, shared by Client::read and subscriptions.
#ifndef MEOWMX_SRC_LOG_QUERY_H_
#define MEOWMX_SRC_LOG_QUERY_H_

#include <string>
#include <vector>

namespace meowmx::internal {

struct LogFilter {
  bool by_category = false;  // adds a text[] parameter of aggregate types
  bool by_group = false;     // adds group size and member parameters
};

// Parameters: $1 after tx_id (xid8 as text), $2 after id, $3 limit, then
// $4 categories (text[] literal) when by_category, then group size and
// member when by_group. Only rows of transactions below the snapshot's xmin
// are returned: every transaction that could still commit an earlier
// (tx_id, id) has finished by then, so paging never skips a late commit.
std::string log_page_sql(const LogFilter& filter);

// A text[] literal of validated names (no quotes, commas or braces to escape).
std::string text_array_literal(const std::vector<std::string>& names);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_LOG_QUERY_H_

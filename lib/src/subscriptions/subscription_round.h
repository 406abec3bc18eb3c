// Subscription round: the statement that opens each delivery round of a
// subscription worker.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_

#include <string>

namespace meowmx::internal {

struct RoundFilter {
  bool by_category = false;  // adds a text[] parameter of aggregate types
  bool by_group = false;     // adds the group size parameter
};

// In one round trip: lock the member's checkpoint row (SKIP LOCKED) and read
// the page after it. The caller then runs the handler, moves the checkpoint
// and commits, all in the same transaction.
//
// Parameters: $1 subscription name, $2 group member, $3 page size, then the
// categories (text[] literal) when by_category, then the group size when
// by_group.
//
// Rows: the page's events in log order, with the columns of kEventColumns.
// None when the subscription is caught up or another worker holds the
// checkpoint; the lock statement tells which.
std::string subscription_round_sql(const RoundFilter& filter);

// One prepared statement per filter: a Client may run differently filtered
// subscriptions one after the other on its connection.
std::string subscription_round_name(const RoundFilter& filter);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_ROUND_H_

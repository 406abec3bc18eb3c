#include "subscriptions/subscription_round.h"

#include "store/event_row.h"
#include "store/log_query.h"

namespace meowmx::internal {

std::string subscription_round_sql(const RoundFilter& filter) {
  // The checkpoint reaches the page as two scalar subqueries, so the page
  // stays one walk along the (tx_id, id) index that stops at the LIMIT.
  LogPage page{.after_tx_id = "(SELECT last_tx_id FROM checkpoint)",
               .after_id = "(SELECT last_id FROM checkpoint)",
               .limit = "$3::bigint"};
  int next = 4;
  if (filter.by_category) page.categories = "$" + std::to_string(next++) + "::text[]";
  if (filter.by_group) {
    page.group_size = "$" + std::to_string(next++) + "::integer";
    page.group_member = "$2::integer";
  }
  // Moving the checkpoint in this statement too (a data-modifying CTE) would
  // save the round trip of its UPDATE but cost more: PostgreSQL then stores
  // the whole page before it sends the first row.
  return R"sql(WITH checkpoint AS (
  SELECT last_tx_id, last_id FROM meowmx.subscriptions
  WHERE name = $1 AND group_member = $2 FOR UPDATE SKIP LOCKED
)
)sql" + log_page_sql(page, kEventColumns);
}

std::string subscription_round_name(const RoundFilter& filter) {
  return std::string("meowmx_sub_round") + (filter.by_category ? "_category" : "") +
         (filter.by_group ? "_group" : "");
}

}  // namespace meowmx::internal

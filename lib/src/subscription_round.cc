#include "subscription_round.h"

#include "event_row.h"
#include "log_query.h"

namespace meowmx::internal {

std::string subscription_round_sql(const RoundFilter& filter) {
  // The checkpoint reaches the page as two scalar subqueries, so the page
  // stays one walk along the (tx_id, id) index that stops at the LIMIT.
  LogPage page{.after_tx_id = "(SELECT last_tx_id FROM checkpoint)",
               .after_id = "(SELECT last_id FROM checkpoint)",
               .limit = "$3::bigint"};
  int next = 5;
  if (filter.by_category) page.categories = "$" + std::to_string(next++) + "::text[]";
  if (filter.by_group) {
    page.group_size = "$" + std::to_string(next++) + "::integer";
    page.group_member = "$2::integer";
  }
  // The checkpoint's advance reads the page's positions again, from the
  // (tx_id, id) index under the same snapshot: cheaper than materializing
  // the page to share it.
  return R"sql(WITH checkpoint AS (
  SELECT last_tx_id, last_id FROM meowmx.subscriptions
  WHERE name = $1 AND group_member = $2 FOR UPDATE SKIP LOCKED
), advanced AS (
  UPDATE meowmx.subscriptions AS s
  SET last_tx_id = last.tx_id, last_id = last.id, delivered = s.delivered + last.events,
      worker = $4, worker_backend_pid = pg_backend_pid(), updated_at = now()
  FROM (SELECT tx_id, id, count(*) OVER () AS events FROM ()sql" +
         log_page_sql(page, "events.tx_id, events.id") + R"sql() AS page
        ORDER BY tx_id DESC, id DESC LIMIT 1) AS last
  WHERE s.name = $1 AND s.group_member = $2
)
)sql" + log_page_sql(page, kEventColumns);
}

std::string subscription_round_name(const RoundFilter& filter) {
  return std::string("meowmx_sub_round") + (filter.by_category ? "_category" : "") +
         (filter.by_group ? "_group" : "");
}

}  // namespace meowmx::internal

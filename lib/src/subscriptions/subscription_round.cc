#include "subscriptions/subscription_round.h"

#include "store/event_row.h"
#include "store/log_query.h"

namespace meowmx::internal {

std::string subscription_round_sql(const RoundFilter& filter) {
  LogPage page{.after_tx_id = "$1::xid8", .after_id = "$2::bigint", .limit = "$3::bigint"};
  int next = 4;
  if (filter.by_category) page.categories = "$" + std::to_string(next++) + "::text[]";
  if (filter.by_group) {
    page.group_size = "$" + std::to_string(next++) + "::integer";
    page.group_member = "$" + std::to_string(next++) + "::integer";
  }
  return log_page_sql(page, kEventColumns);
}

std::string subscription_round_name(const RoundFilter& filter) {
  return std::string("meowmx_sub_round") + (filter.by_category ? "_category" : "") +
         (filter.by_group ? "_group" : "");
}

}  // namespace meowmx::internal

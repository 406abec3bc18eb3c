#include "subscriptions/subscription_round.h"

#include "store/event_row.h"
#include "store/log_query.h"

namespace meowmx::internal {

std::string subscription_round_sql(const RoundFilter& filter) {
  LogPage page{.after_tx_id = "$1::xid8", .after_id = "$2::bigint", .limit = "$3::bigint"};
  if (filter.by_category) page.categories = "$4::text[]";
  if (filter.group_size > 1) {
    page.group_size = std::to_string(filter.group_size);
    page.group_member = std::to_string(filter.group_member);
  }
  return log_page_sql(page, kEventColumns);
}

std::string subscription_round_name(const RoundFilter& filter) {
  return std::string("meowmx_sub_round") + (filter.by_category ? "_category" : "") +
         (filter.group_size > 1
              ? "_member_" + std::to_string(filter.group_member) + "_of_" + std::to_string(filter.group_size)
              : "");
}

}  // namespace meowmx::internal

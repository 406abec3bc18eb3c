// Triggers: the server side of the trigger source. A row trigger on each
// captured table calls meowmx.pub_notify(), which NOTIFYs channel
// `meowmx_pub` with {table, action, pk, xid, index} after the row changes;
// a statement trigger does the same for TRUNCATE.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_

#include <vector>

#include "capture/postgres/catalog.h"

namespace meowmx::internal {

inline constexpr const char* kTriggerChannel = "meowmx_pub";

// Creates (or replaces) the functions and the triggers; idempotent.
void install_triggers(Catalog& catalog, const std::vector<PgTable>& tables);
// Drops the triggers, and the functions once no table uses them.
void uninstall_triggers(Catalog& catalog, const std::vector<PgTable>& tables);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_

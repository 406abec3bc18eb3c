// Triggers: the server side of the trigger source. Statement triggers with
// transition tables on each captured table call meowmx.pub_capture(), which
// NOTIFYs channel kTriggerChannel with the keys each statement changed, a
// bounded number of notifications per statement. The function, its payloads
// and their limits are in sql/capture/postgres_triggers.sql.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_

#include <string_view>
#include <vector>

#include "capture/postgres/catalog.h"

namespace meowmx::internal {

inline constexpr const char* kTriggerChannel = "meowmx_pub";

// Creates (or replaces) the function and the triggers, and drops the row
// trigger of meowmx versions before statement triggers; idempotent.
void install_triggers(Catalog& catalog, const std::vector<PgTable>& tables);
// Drops the triggers, and the function once no table uses it.
void uninstall_triggers(Catalog& catalog, const std::vector<PgTable>& tables);

// sql/capture/postgres_triggers.sql, embedded at build time by cmake/embed_sql_file.cmake.
std::string_view trigger_functions_sql();

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGERS_H_

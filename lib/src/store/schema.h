// Schema: applies the embedded migrations and reads back the set-up choices.
#ifndef MEOWMX_SRC_STORE_SCHEMA_H_
#define MEOWMX_SRC_STORE_SCHEMA_H_

#include <optional>

#include <pqxx/connection_base>
#include <pqxx/transaction_base>

#include "meowmx/options.h"

namespace meowmx::internal {

// Applies every migration not yet recorded in meowmx.migrations, all in one
// transaction under an advisory lock, so concurrent set-ups take turns and a
// failed upgrade leaves the schema as it was.
void apply_migrations(pqxx::connection_base& connection, const SetupOptions& options);

// The id type of an existing schema, or nullopt when set-up never ran.
std::optional<AggregateIdType> installed_aggregate_id_type(pqxx::transaction_base& tx);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_SCHEMA_H_

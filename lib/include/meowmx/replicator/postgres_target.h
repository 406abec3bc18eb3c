// The PostgreSQL target: a replicator action that copies each changed row,
// by primary key, from the source database into the same table of another
// PostgreSQL database: an upsert of the row as it is now, or a delete when
// it is gone (meepo's repl_db example as a feature).
//
//   replicator.on_batch("orders_*", {.workers = 4},
//                       meowmx::make_postgres_target({.source_dsn = source, .target_dsn = copy}));
//
// The target table must exist with the same name and columns. Values go as
// PostgreSQL's own text of each column (row_to_json on the source,
// json_populate_recordset on the target), so numbers keep every digit. A
// batch's rows of one table are written in one transaction; when it fails,
// those pks fail together and are retried. Changes of truncates are not
// replicated (they carry no pk).
#ifndef MEOWMX_REPLICATOR_POSTGRES_TARGET_H_
#define MEOWMX_REPLICATOR_POSTGRES_TARGET_H_

#include <string>

#include "meowmx/replicator.h"

namespace meowmx {

struct PostgresTargetOptions {
  std::string source_dsn;  // where the rows are read: the captured database
  std::string target_dsn;  // where they are written
};

// Each worker uses a connection of its own to each database, opened on its
// first batch and reopened after a failure. Throws InvalidArgument when a
// DSN is empty.
PkBatchAction make_postgres_target(const PostgresTargetOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_REPLICATOR_POSTGRES_TARGET_H_

#include "store/save_statement.h"

#include "store/batch_encoding.h"

namespace meowmx::internal {

// One statement: lock and advance the aggregate row if the version matches
// (or create it at version 0), then insert the events numbered from the old
// version. Nothing is written when the check fails or when any client event
// id of the save is already recorded; the caller then finds out why.
//
// The advisory lock on the aggregate comes first, before the statement writes
// anything and so before PostgreSQL hands the transaction its id. Two saves
// to one aggregate therefore take their transaction ids in the order they
// take the lock, and the log's (tx_id, id) order keeps every aggregate's
// versions in order. The row lock of the UPDATE alone would not: a waiting
// UPDATE already holds an id, possibly smaller than the winner's. The lock
// is a condition of the UPDATE, so it is held before the row is written;
// `created` reads `advanced` first, so it too runs after the lock.
//
// Each part costs every save that carries it (PostgreSQL sets up every node
// of a plan on each run), hence one statement per shape: the common save, one
// event at a known version of an existing aggregate, is an UPDATE and an
// INSERT.
std::string save_statement_sql(const SaveShape& shape) {
  const std::string count = shape.batch ? "$5::bigint" : "1::bigint";
  const std::string lock =
      "pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2::meowmx.aggregate_id::text, 0))"
      " IS NOT NULL";
  std::string sql = "WITH ";
  if (shape.batch) {
    sql += R"sql(batch AS (
  SELECT ordinality - 1 AS offset_in_batch, e->>'event_type' AS event_type, e->'json' AS json,
         NULLIF(e->'metadata', 'null'::jsonb) AS metadata, (e->>'event_id')::uuid AS event_id
  FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS b(e, ordinality)
), )sql";
  }
  // Whether to write: the lock, then (for a possible retry) no event id of
  // the save recorded yet; `AND` in a select list runs left to right. Where
  // the aggregate may be created, the lock must be taken whether its row
  // exists or not: a one-time condition, checked before the row is read.
  // Otherwise a condition on the row will do, and costs less (no subplan to
  // set up): the planner may check it before or after the version, but a row
  // reaches the UPDATE only once it passed, so the lock is held before the
  // row is written.
  std::string may_write = shape.may_create ? "(SELECT " + lock + ")" : lock;
  if (shape.event_ids) {
    sql += "unrecorded AS (\n  SELECT " + lock +
           " AND NOT EXISTS (SELECT 1 FROM meowmx.events WHERE event_id " +
           (shape.batch ? "IN (SELECT event_id FROM batch WHERE event_id IS NOT NULL)" : "= $7::uuid") +
           ") AS yes\n), ";
    may_write = "(SELECT yes FROM unrecorded)";
  }
  sql += "advanced AS (\n  UPDATE meowmx.aggregates SET version = version + " + count +
         "\n  WHERE aggregate_type = $1 AND aggregate_id = $2::meowmx.aggregate_id\n    AND " +
         (shape.may_create ? "($3::bigint IS NULL OR version = $3::bigint)" : "version = $3::bigint") +
         " AND " + may_write + "\n  RETURNING version - " + count + " AS base\n)";
  std::string base = "advanced";
  if (shape.may_create) {
    sql += R"sql(, created AS (
  INSERT INTO meowmx.aggregates (aggregate_type, aggregate_id, version)
  SELECT $1, $2::meowmx.aggregate_id, )sql" + count + R"sql(
  WHERE ($3::bigint IS NULL OR $3::bigint = 0) AND NOT EXISTS (SELECT 1 FROM advanced))sql" +
           (shape.event_ids ? " AND " + may_write : "") + R"sql(
  ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING
  RETURNING 0::bigint AS base
))sql";
    base = "(SELECT base FROM advanced UNION ALL SELECT base FROM created)";
  }
  base += " AS base";
  sql += "\nINSERT INTO meowmx.events"
         " (aggregate_type, aggregate_id, version, event_type, json, metadata, event_id)\n";
  if (shape.batch) {
    sql += "SELECT $1, $2::meowmx.aggregate_id, base.base + batch.offset_in_batch, batch.event_type,"
           " batch.json, batch.metadata, batch.event_id\nFROM " +
           base + ", batch ORDER BY batch.offset_in_batch";
  } else {
    sql += "SELECT $1, $2::meowmx.aggregate_id, base.base, $4, $5::jsonb, $6::jsonb, $7::uuid FROM " + base;
  }
  return sql + "\nRETURNING " + kSavedColumns;
}

std::string save_statement_name(const SaveShape& shape) {
  return std::string("meowmx_save") + (shape.batch ? "_batch" : "_one") +
         (shape.may_create ? "_create" : "") + (shape.event_ids ? "_ids" : "");
}

}  // namespace meowmx::internal

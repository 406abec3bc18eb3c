#include "capture/postgres/triggers.h"

#include <pqxx/transaction>

#include "capture/postgres/identifiers.h"
#include "common/logger.h"

namespace meowmx::internal {
namespace {

// Serialises installs: CREATE OR REPLACE FUNCTION races with itself.
constexpr long long kTriggerLockKey = 0x6d656f776d78 + 5;

// pub_index numbers the notifications of a transaction (a transaction-local
// setting), which keeps NOTIFY from folding identical payloads into one and
// gives each change a stable position. NOTIFY payloads stay under 8000
// bytes: a key too long to fit is sent as null with pk_too_long.
constexpr const char* kFunctionsSql = R"sql(
CREATE SCHEMA IF NOT EXISTS meowmx;

CREATE OR REPLACE FUNCTION meowmx.pub_key(row_values jsonb, key_columns text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN cardinality(key_columns) = 1 THEN row_values -> key_columns[1]
         ELSE (SELECT jsonb_agg(row_values -> k.col ORDER BY k.ord)
               FROM unnest(key_columns) WITH ORDINALITY AS k(col, ord)) END
$fn$;

CREATE OR REPLACE FUNCTION meowmx.pub_send(table_name text, change_action text, pk jsonb) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  seq bigint := coalesce(nullif(current_setting('meowmx.pub_index', true), ''), '0')::bigint;
  payload text;
BEGIN
  PERFORM set_config('meowmx.pub_index', (seq + 1)::text, true);
  payload := jsonb_build_object('table', table_name, 'action', change_action, 'pk', pk,
                                'xid', pg_current_xact_id()::text::bigint, 'index', seq)::text;
  IF octet_length(payload) > 7999 THEN
    payload := jsonb_build_object('table', table_name, 'action', change_action, 'pk', NULL, 'pk_too_long', true,
                                  'xid', pg_current_xact_id()::text::bigint, 'index', seq)::text;
  END IF;
  PERFORM pg_notify('meowmx_pub', payload);
END
$fn$;

-- TG_ARGV: the signal prefix, then the primary key columns in key order.
CREATE OR REPLACE FUNCTION meowmx.pub_notify() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  key_columns text[] := TG_ARGV[1:TG_NARGS - 1];
  old_key jsonb;
  new_key jsonb;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM meowmx.pub_send(TG_ARGV[0], 'truncate', NULL);
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM meowmx.pub_send(TG_ARGV[0], 'write', meowmx.pub_key(to_jsonb(NEW), key_columns));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM meowmx.pub_send(TG_ARGV[0], 'delete', meowmx.pub_key(to_jsonb(OLD), key_columns));
  ELSE
    old_key := meowmx.pub_key(to_jsonb(OLD), key_columns);
    new_key := meowmx.pub_key(to_jsonb(NEW), key_columns);
    -- A changed key is a delete of the old row and a write of the new one,
    -- as the logical decoding source reports it.
    IF old_key IS DISTINCT FROM new_key THEN
      PERFORM meowmx.pub_send(TG_ARGV[0], 'delete', old_key);
      PERFORM meowmx.pub_send(TG_ARGV[0], 'write', new_key);
    ELSE
      PERFORM meowmx.pub_send(TG_ARGV[0], 'update', new_key);
    END IF;
  END IF;
  RETURN NULL;
END
$fn$;
)sql";

}  // namespace

void install_triggers(Catalog& catalog, const std::vector<PgTable>& tables) {
  catalog.guarded("installing triggers", [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kTriggerLockKey);
    tx.exec0("SET LOCAL client_min_messages = warning");
    tx.exec0(kFunctionsSql);
    for (const auto& table : tables) {
      std::string arguments = tx.quote(table.table.stem);
      for (const auto& column : table.table.key) arguments += ", " + tx.quote(column);
      tx.exec0("CREATE OR REPLACE TRIGGER meowmx_pub_rows AFTER INSERT OR UPDATE OR DELETE ON " +
               quote_table(table.table.name) + " FOR EACH ROW EXECUTE FUNCTION meowmx.pub_notify(" + arguments + ")");
      tx.exec0("CREATE OR REPLACE TRIGGER meowmx_pub_truncate AFTER TRUNCATE ON " + quote_table(table.table.name) +
               " FOR EACH STATEMENT EXECUTE FUNCTION meowmx.pub_notify(" +
               tx.quote(table.table.stem) + ")");
    }
    tx.commit();
  });
  logger().info("triggers installed on {} table(s)", tables.size());
}

void uninstall_triggers(Catalog& catalog, const std::vector<PgTable>& tables) {
  catalog.guarded("removing triggers", [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kTriggerLockKey);
    for (const auto& table : tables) {
      tx.exec0("DROP TRIGGER IF EXISTS meowmx_pub_rows ON " + quote_table(table.table.name));
      tx.exec0("DROP TRIGGER IF EXISTS meowmx_pub_truncate ON " + quote_table(table.table.name));
    }
    const bool still_used = tx.exec1(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger"
        " WHERE tgfoid = to_regprocedure('meowmx.pub_notify()'))")[0].as<bool>();
    if (!still_used) {
      tx.exec0("DROP FUNCTION IF EXISTS meowmx.pub_notify()");
      tx.exec0("DROP FUNCTION IF EXISTS meowmx.pub_send(text, text, jsonb)");
      tx.exec0("DROP FUNCTION IF EXISTS meowmx.pub_key(jsonb, text[])");
    }
    tx.commit();
  });
  logger().info("triggers removed from {} table(s)", tables.size());
}

}  // namespace meowmx::internal

#include "capture/postgres/triggers.h"

#include <string>

#include <pqxx/transaction>

#include "capture/postgres/identifiers.h"
#include "common/logger.h"

namespace meowmx::internal {
namespace {

// Serialises installs: CREATE OR REPLACE FUNCTION races with itself.
constexpr long long kTriggerLockKey = 0x6d656f776d78 + 5;

// PostgreSQL allows transition tables only on triggers of a single event,
// hence one trigger per event; the names of the transition tables are the
// ones meowmx.pub_capture() reads.
struct StatementTrigger {
  const char* name;
  const char* event;
  const char* transition_tables;
};
constexpr StatementTrigger kStatementTriggers[] = {
    {"meowmx_pub_insert", "INSERT", "REFERENCING NEW TABLE AS meowmx_new_rows"},
    {"meowmx_pub_update", "UPDATE", "REFERENCING OLD TABLE AS meowmx_old_rows NEW TABLE AS meowmx_new_rows"},
    {"meowmx_pub_delete", "DELETE", "REFERENCING OLD TABLE AS meowmx_old_rows"},
    {"meowmx_pub_truncate", "TRUNCATE", ""},
};

// What meowmx versions before statement triggers installed: a row trigger
// and its three functions.
constexpr const char* kLegacyRowTrigger = "meowmx_pub_rows";
constexpr const char* kLegacyFunctions =
    "meowmx.pub_notify(), meowmx.pub_send(text, text, jsonb), meowmx.pub_key(jsonb, text[])";

// Drops `functions` unless a trigger still calls the first of them.
void drop_if_unused(pqxx::work& tx, const std::string& trigger_function, const std::string& functions) {
  const bool used = tx.exec_params("SELECT EXISTS (SELECT FROM pg_trigger WHERE tgfoid = to_regprocedure($1))",
                                   trigger_function)[0][0]
                        .as<bool>();
  if (!used) tx.exec0("DROP FUNCTION IF EXISTS " + functions);
}

}  // namespace

void install_triggers(Catalog& catalog, const std::vector<PgTable>& tables) {
  catalog.guarded("installing triggers", [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kTriggerLockKey);
    tx.exec0("SET LOCAL client_min_messages = warning");
    tx.exec0(std::string(trigger_functions_sql()));
    for (const auto& table : tables) {
      const std::string quoted = quote_table(table.table.name);
      for (const auto& trigger : kStatementTriggers) {
        tx.exec0(std::string("CREATE OR REPLACE TRIGGER ") + trigger.name + " AFTER " + trigger.event + " ON " +
                 quoted + " " + trigger.transition_tables +
                 " FOR EACH STATEMENT EXECUTE FUNCTION meowmx.pub_capture()");
      }
      tx.exec0(std::string("DROP TRIGGER IF EXISTS ") + kLegacyRowTrigger + " ON " + quoted);
    }
    drop_if_unused(tx, "meowmx.pub_notify()", kLegacyFunctions);
    tx.commit();
  });
  logger().info("triggers installed on {} table(s)", tables.size());
}

void uninstall_triggers(Catalog& catalog, const std::vector<PgTable>& tables) {
  catalog.guarded("removing triggers", [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kTriggerLockKey);
    tx.exec0("SET LOCAL client_min_messages = warning");
    for (const auto& table : tables) {
      const std::string quoted = quote_table(table.table.name);
      for (const auto& trigger : kStatementTriggers) {
        tx.exec0(std::string("DROP TRIGGER IF EXISTS ") + trigger.name + " ON " + quoted);
      }
      tx.exec0(std::string("DROP TRIGGER IF EXISTS ") + kLegacyRowTrigger + " ON " + quoted);
    }
    drop_if_unused(tx, "meowmx.pub_capture()", "meowmx.pub_capture()");
    drop_if_unused(tx, "meowmx.pub_notify()", kLegacyFunctions);
    tx.commit();
  });
  logger().info("triggers removed from {} table(s)", tables.size());
}

}  // namespace meowmx::internal

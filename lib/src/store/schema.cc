#include "store/schema.h"

#include <algorithm>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/logger.h"
#include "meowmx/error.h"
#include "store/migrations.h"

namespace meowmx::internal {
namespace {

// Any fixed number: it only has to be the same for every meowmx process.
constexpr long long kSetupLockKey = 0x6d656f776d78;  // "meowmx"

std::string render(std::string_view sql, AggregateIdType id_type) {
  static constexpr std::string_view kPlaceholder = "{{AGGREGATE_ID_TYPE}}";
  std::string out(sql);
  for (auto at = out.find(kPlaceholder); at != std::string::npos; at = out.find(kPlaceholder)) {
    out.replace(at, kPlaceholder.size(), to_string(id_type));
  }
  return out;
}

}  // namespace

std::optional<AggregateIdType> installed_aggregate_id_type(pqxx::transaction_base& tx) {
  auto row = tx.exec1(
      "SELECT format_type(typbasetype, NULL) FROM pg_type "
      "RIGHT JOIN (SELECT to_regtype('meowmx.aggregate_id') AS oid) wanted ON pg_type.oid = wanted.oid");
  if (row[0].is_null()) return std::nullopt;
  return parse_aggregate_id_type(row[0].as<std::string>());
}

void apply_migrations(pqxx::connection_base& connection, const SetupOptions& options) {
  pqxx::work tx(connection, "meowmx-setup");
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSetupLockKey);
  tx.exec0("SET LOCAL client_min_messages = warning");
  tx.exec0("CREATE SCHEMA IF NOT EXISTS meowmx");
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS meowmx.migrations ("
      " number integer PRIMARY KEY, name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");

  const auto installed = installed_aggregate_id_type(tx);
  if (installed && options.aggregate_id_type && *installed != *options.aggregate_id_type) {
    throw InvalidArgument("meowmx is already set up with aggregate id type " +
                          std::string(to_string(*installed)) + "; it cannot change to " +
                          std::string(to_string(*options.aggregate_id_type)));
  }
  const AggregateIdType id_type =
      installed.value_or(options.aggregate_id_type.value_or(AggregateIdType::kUuid));

  int applied = 0;
  auto done = tx.exec("SELECT number FROM meowmx.migrations");
  std::vector<int> recorded;
  for (const auto& row : done) recorded.push_back(row[0].as<int>());
  for (const Migration& migration : migrations()) {
    if (std::find(recorded.begin(), recorded.end(), migration.number) != recorded.end()) continue;
    logger().info("applying migration {}", migration.name);
    tx.exec0(render(migration.sql, id_type));
    tx.exec_params0("INSERT INTO meowmx.migrations (number, name) VALUES ($1, $2)",
                    migration.number, std::string(migration.name));
    ++applied;
  }
  tx.commit();
  logger().info("schema is current ({} migration(s) applied, aggregate id type {})", applied,
                to_string(id_type));
}

}  // namespace meowmx::internal

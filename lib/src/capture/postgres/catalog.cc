#include "capture/postgres/catalog.h"

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// The primary key's columns in key order, as a JSON array (NULL without a key).
constexpr const char* kKeyColumnsSql =
    "(SELECT json_agg(a.attname ORDER BY k.ord) FROM pg_index i"
    " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
    " WHERE i.indrelid = c.oid AND i.indisprimary)::text";

std::vector<std::string> key_columns(const pqxx::field& field) {
  if (field.is_null()) return {};
  return nlohmann::json::parse(field.c_str()).get<std::vector<std::string>>();
}

}  // namespace

Catalog::Catalog(std::string dsn) : dsn_(std::move(dsn)) {
  guarded("cannot connect to " + describe_dsn(dsn_), [&] {
    connection_ = std::make_unique<pqxx::connection>(dsn_);
    connection_->set_variable("application_name", "'meowmx pub'");
  });
}

void Catalog::require_logical_decoding() {
  const auto level = guarded("", [&] {
    pqxx::nontransaction tx(*connection_);
    return tx.exec1("SELECT current_setting('wal_level')")[0].as<std::string>();
  });
  if (level != "logical") {
    throw Error("wal_level is '" + level +
                "' on " + describe_dsn(dsn_) +
                ": logical decoding needs wal_level = logical in postgresql.conf (and a server "
                "restart); `meowmx dev-db` clusters have it");
  }
}

std::vector<CapturedTable> Catalog::resolve(const std::vector<TableName>& tables, bool for_logical_decoding) {
  const std::string sql = std::string(
      "SELECT c.oid::bigint, c.relkind::text, c.relreplident::text, ") + kKeyColumnsSql +
      ", EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident"
      " AND i.indisprimary)"
      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relname = $2";
  std::vector<CapturedTable> resolved;
  for (const TableName& table : tables) {
    const std::string shown = table.schema + "." + table.name;
    auto result = guarded("looking up table " + shown, [&] {
      pqxx::nontransaction tx(*connection_);
      return tx.exec_params(sql, table.schema, table.name);
    });
    if (result.empty()) throw InvalidArgument("unknown table " + shown);
    const auto& row = result[0];
    const auto kind = row[1].as<std::string>();
    if (kind != "r" && kind != "p") throw InvalidArgument(shown + " is not a table");
    CapturedTable captured{table, static_cast<std::uint32_t>(row[0].as<std::int64_t>()), key_columns(row[3])};
    if (captured.key.empty()) {
      throw InvalidArgument("table " + shown +
                            " has no primary key: change events are keyed by it, add one first");
    }
    const auto identity = row[2].as<std::string>();
    if (for_logical_decoding && (identity == "n" || (identity == "i" && !row[4].as<bool>()))) {
      throw InvalidArgument("table " + shown +
                            " has a replica identity without its primary key, so deletes could "
                            "not be keyed: ALTER TABLE ... REPLICA IDENTITY DEFAULT (or FULL)");
    }
    resolved.push_back(std::move(captured));
  }
  return resolved;
}

std::vector<std::string> Catalog::primary_key(std::uint32_t oid) {
  const std::string sql = std::string("SELECT ") + kKeyColumnsSql + " FROM pg_class c WHERE c.oid = $1::oid";
  return guarded("looking up a primary key", [&] {
    pqxx::nontransaction tx(*connection_);
    auto result = tx.exec_params(sql, static_cast<std::int64_t>(oid));
    return result.empty() ? std::vector<std::string>() : key_columns(result[0][0]);
  });
}

Lsn Catalog::mark_wal_end() {
  return parse_lsn(guarded("", [&] {
    pqxx::work tx(*connection_);
    const auto end = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    tx.exec0("SET LOCAL synchronous_commit = on");
    tx.exec1("SELECT pg_current_xact_id()");  // an xid, so the commit writes a record
    tx.commit();
    return end;
  }));
}

}  // namespace meowmx::internal

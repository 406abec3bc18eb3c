#include "capture/postgres/catalog.h"

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "capture/postgres/identifiers.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// The primary key's columns in key order, as a JSON array of [name, type
// oid] pairs (NULL without a key).
constexpr const char* kKeyColumnsSql =
    "(SELECT json_agg(json_build_array(a.attname, a.atttypid::bigint) ORDER BY k.ord) FROM pg_index i"
    " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
    " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
    " WHERE i.indrelid = c.oid AND i.indisprimary)::text";

struct KeyColumns {
  std::vector<std::string> names;
  std::vector<std::uint32_t> types;
};

KeyColumns key_columns(const pqxx::field& field) {
  KeyColumns key;
  if (field.is_null()) return key;
  for (const auto& column : nlohmann::json::parse(field.c_str())) {
    key.names.push_back(column.at(0).get<std::string>());
    key.types.push_back(column.at(1).get<std::uint32_t>());
  }
  return key;
}

}  // namespace

Catalog::Catalog(const std::string& dsn) : session_(ClientOptions{dsn, "meowmx pub"}) {}

void Catalog::require_logical_decoding() {
  const auto level = guarded("", [&] {
    pqxx::nontransaction tx(connection());
    return tx.exec1("SELECT current_setting('wal_level')")[0].as<std::string>();
  });
  if (level != "logical") {
    throw Error("wal_level is '" + level + "' on " + describe_dsn(session_.options().dsn) +
                ": logical decoding needs wal_level = logical in postgresql.conf (and a server "
                "restart); `meowmx dev-db` clusters have it");
  }
}

std::vector<PgTable> Catalog::resolve(const std::vector<TableName>& tables, bool for_logical_decoding) {
  const std::string sql = std::string(
      "SELECT c.oid::bigint, c.relkind::text, c.relreplident::text, ") + kKeyColumnsSql +
      ", EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident"
      " AND i.indisprimary)"
      " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relname = $2";
  std::vector<PgTable> resolved;
  for (const TableName& table : tables) {
    const std::string shown = display_table(table);
    auto result = guarded("looking up table " + shown, [&] {
      pqxx::nontransaction tx(connection());
      return tx.exec_params(sql, table.space, table.name);
    });
    if (result.empty()) throw InvalidArgument("unknown table " + shown);
    const auto& row = result[0];
    const auto kind = row[1].as<std::string>();
    if (kind != "r" && kind != "p") throw InvalidArgument(shown + " is not a table");
    auto key = key_columns(row[3]);
    PgTable captured{CapturedTable{table, table_stem(table), std::move(key.names)},
                     static_cast<std::uint32_t>(row[0].as<std::int64_t>()), std::move(key.types)};
    if (captured.table.key.empty()) {
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
    pqxx::nontransaction tx(connection());
    auto result = tx.exec_params(sql, static_cast<std::int64_t>(oid));
    return result.empty() ? std::vector<std::string>() : key_columns(result[0][0]).names;
  });
}

std::string Catalog::database_id() {
  return guarded("", [&] {
    pqxx::nontransaction tx(connection());
    return tx.exec1("SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()")[0]
        .as<std::string>();
  });
}

Lsn Catalog::mark_wal_end() {
  return parse_lsn(guarded("", [&] {
    pqxx::work tx(connection());
    const auto end = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    tx.exec0("SET LOCAL synchronous_commit = on");
    tx.exec1("SELECT pg_current_xact_id()");  // an xid, so the commit writes a record
    tx.commit();
    return end;
  }));
}

}  // namespace meowmx::internal

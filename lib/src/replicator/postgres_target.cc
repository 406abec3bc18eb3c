#include "meowmx/replicator/postgres_target.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "common/json_string.h"
#include "meowmx/error.h"
#include "pg/connection_errors.h"
#include "replicator/dispatch.h"

namespace meowmx {
namespace {

// A table named by its event stem ("orders" in public, else "schema.name"),
// with its primary key and columns as the source's catalog has them.
constexpr const char* kTableSql = R"sql(
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       array_to_json(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
                           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord))::text,
       array_to_json(ARRAY(SELECT a.attname FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                           ORDER BY a.attnum))::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE (n.nspname = 'public' AND c.relname = $1) OR n.nspname || '.' || c.relname = $1
ORDER BY n.nspname = 'public' DESC
LIMIT 1
)sql";

// Whether the snapshot sees every transaction of $2 (32-bit ids, as logical
// decoding gives them): an id at or past the snapshot's xmax is not seen;
// one before it is widened to its xid8 by its distance below xmax.
constexpr const char* kVisibleSql = R"sql(
WITH s AS (SELECT pg_current_snapshot() AS snap),
     x AS (SELECT snap, pg_snapshot_xmax(snap)::text::bigint AS xmax,
                  (xid - pg_snapshot_xmax(snap)::text::bigint % 4294967296 + 8589934592) % 4294967296 AS d
           FROM s, unnest($2::bigint[]) AS xid)
SELECT coalesce(bool_and(d >= 2147483648 AND pg_visible_in_snapshot((xmax - (4294967296 - d))::text::xid8, snap)), true)
FROM x
)sql";

struct TableSql {
  std::vector<std::string> key;
  // $1: the keys as a JSON array of objects, $2: transaction ids -> whether
  // the statement's snapshot sees them all, and a JSON array of the rows.
  std::string read;
  // $1: keys, $2: rows: deletes the keys that have no row, upserts the rows.
  std::string write;
};

std::string quoted(pqxx::transaction_base& tx, const std::string& name) { return tx.quote_name(name); }

TableSql table_sql(pqxx::transaction_base& tx, const std::string& stem) {
  const pqxx::result found = tx.exec_params(kTableSql, stem);
  if (found.empty()) throw InvalidArgument("postgres target: no table with a primary key for the events of " + stem);
  const std::string table = found[0][0].c_str();
  TableSql sql;
  sql.key = nlohmann::json::parse(found[0][1].c_str()).get<std::vector<std::string>>();
  const auto columns = nlohmann::json::parse(found[0][2].c_str()).get<std::vector<std::string>>();
  std::string key_list, join_keys, row_keys, updates, column_list;
  for (const auto& column : sql.key) {
    const std::string name = quoted(tx, column);
    const std::string_view and_ = key_list.empty() ? "" : " AND ";
    key_list += (key_list.empty() ? "" : ", ") + name;
    join_keys += std::string(and_) + "t." + name + " = k." + name;
    row_keys += std::string(and_) + "r." + name + " = k." + name;
  }
  for (const auto& column : columns) {
    const std::string name = quoted(tx, column);
    column_list += (column_list.empty() ? "" : ", ") + name;
    if (std::find(sql.key.begin(), sql.key.end(), column) == sql.key.end()) {
      updates += (updates.empty() ? "" : ", ") + name + " = excluded." + name;
    }
  }
  // Each key looked up by itself (LATERAL: an index probe per key), never
  // a join the planner could turn into a scan of the whole table.
  const std::string keys = "json_populate_recordset(NULL::" + table + ", $1::json) k";
  const std::string rows_of_keys =
      keys + " CROSS JOIN LATERAL (SELECT t.ctid AS row_id, t FROM " + table + " t WHERE " + join_keys + ") found";
  sql.read = std::string("SELECT (") + kVisibleSql + "), (SELECT coalesce(json_agg(row_to_json(found.t)), '[]')::text FROM " +
             rows_of_keys + ")";
  // One statement, so one round trip and atomic without BEGIN and COMMIT;
  // the two never touch the same key.
  sql.write = "WITH gone AS (DELETE FROM " + table + " WHERE ctid = ANY(ARRAY(SELECT found.row_id FROM " + rows_of_keys +
              " WHERE NOT EXISTS (SELECT 1 FROM json_populate_recordset(NULL::" + table + ", $2::json) r WHERE " +
              row_keys + "))) RETURNING 1) INSERT INTO " + table + " (" + column_list + ") SELECT " + column_list +
              " FROM json_populate_recordset(NULL::" + table + ", $2::json) ON CONFLICT (" + key_list + ") DO " +
              (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
  return sql;
}

// meowmx's pk text back to the key's column texts: a single value bare (or
// a JSON string when it looked like another form), a composite as a JSON array.
std::vector<std::optional<std::string>> key_values(const std::string& pk, std::size_t columns) {
  std::vector<std::optional<std::string>> values;
  if (columns == 1 && !pk.starts_with('"')) return {pk};
  const nlohmann::json parsed = nlohmann::json::parse(pk);
  const auto element = [](const nlohmann::json& value) -> std::optional<std::string> {
    if (value.is_null()) return std::nullopt;
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  if (columns == 1) return {element(parsed)};
  if (!parsed.is_array() || parsed.size() != columns) throw InvalidArgument("pk " + pk + " does not fit the table's key");
  for (const auto& value : parsed) values.push_back(element(value));
  return values;
}

// How long a reader waits for a decoded commit to become visible before the
// batch fails (and is retried).
constexpr std::chrono::seconds kMostVisibilityWait{10};
constexpr std::chrono::milliseconds kVisibilityPoll{2};

// The transaction ids in the pks' positions ({"xid": ...}), as a PostgreSQL array.
std::string xids_of(const PkBatch& batch, const std::vector<std::size_t>& indexes) {
  std::string xids = "{";
  for (const std::size_t i : indexes) {
    if (batch.positions[i].empty()) continue;
    const auto position = nlohmann::json::parse(batch.positions[i], nullptr, false);
    if (!position.is_object() || !position.contains("xid")) continue;
    xids += (xids.size() > 1 ? "," : "") + position["xid"].dump();
  }
  return xids + "}";
}

// The rows as the source holds them now, as JSON text never re-parsed here,
// read in a snapshot that sees the transactions of `xids` (a commit is
// decoded from the WAL an instant before it is visible to new snapshots).
std::string read_rows(pqxx::connection& source, const TableSql& sql, const std::string& keys, const std::string& xids) {
  const auto deadline = std::chrono::steady_clock::now() + kMostVisibilityWait;
  for (;;) {
    pqxx::nontransaction tx(source);
    const pqxx::row read = tx.exec_params1(sql.read, keys, xids);
    if (read[0].as<bool>()) return read[1].c_str();
    if (std::chrono::steady_clock::now() > deadline) throw Error("postgres target: a captured transaction never became visible");
    std::this_thread::sleep_for(kVisibilityPoll);
  }
}

struct Connections {
  std::optional<pqxx::connection> source;
  std::optional<pqxx::connection> target;
};

class PostgresTarget {
 public:
  explicit PostgresTarget(PostgresTargetOptions options) : options_(std::move(options)) {
    if (options_.source_dsn.empty() || options_.target_dsn.empty()) {
      throw InvalidArgument("the postgres target needs a source and a target DSN");
    }
  }

  std::vector<bool> copy(const PkBatch& batch) {
    Connections& connections = connections_of(batch.topic, batch.worker);
    std::map<std::string, std::vector<std::size_t>> by_table;
    for (std::size_t i = 0; i < batch.pks.size(); ++i) {
      by_table[std::string(internal::event_stem(batch.events[i]))].push_back(i);
    }
    // Tables fail apart; when all do, the error is the batch's.
    std::vector<bool> succeeded(batch.pks.size(), false);
    std::optional<Error> failure;
    for (const auto& [stem, indexes] : by_table) {
      try {
        copy_table(connections, stem, batch, indexes);
        for (const std::size_t i : indexes) succeeded[i] = true;
      } catch (const Error& e) {
        failure = e;
        if (dynamic_cast<const ConnectionError*>(&e)) {
          connections.source.reset();  // reopened for the next batch
          connections.target.reset();
        }
      }
    }
    if (failure && std::find(succeeded.begin(), succeeded.end(), true) == succeeded.end()) throw *failure;
    return succeeded;
  }

 private:
  Connections& connections_of(const std::string& topic, int worker) {
    std::lock_guard lock(mutex_);
    return connections_[{topic, worker}];
  }

  const TableSql& sql_for(pqxx::connection& source, const std::string& stem) {
    std::lock_guard lock(mutex_);
    auto it = tables_.find(stem);
    if (it == tables_.end()) {
      pqxx::read_transaction tx(source);
      it = tables_.emplace(stem, table_sql(tx, stem)).first;
    }
    return it->second;
  }

  void copy_table(Connections& connections, const std::string& stem, const PkBatch& batch,
                  const std::vector<std::size_t>& indexes) {
    try {
      if (!connections.source) connections.source.emplace(options_.source_dsn);
      if (!connections.target) connections.target.emplace(options_.target_dsn);
      const TableSql& sql = sql_for(*connections.source, stem);
      std::string keys = "[";
      for (const std::size_t i : indexes) {
        const auto values = key_values(batch.pks[i], sql.key.size());
        if (keys.size() > 1) keys += ',';
        keys += '{';
        for (std::size_t k = 0; k < values.size(); ++k) {
          if (k > 0) keys += ',';
          internal::append_json_string(keys, sql.key[k]);
          keys += ':';
          if (values[k]) {
            internal::append_json_string(keys, *values[k]);
          } else {
            keys += "null";
          }
        }
        keys += '}';
      }
      keys += ']';
      const std::string rows = read_rows(*connections.source, sql, keys, xids_of(batch, indexes));
      pqxx::nontransaction tx(*connections.target);
      tx.exec_params0(sql.write, keys, rows);
    } catch (...) {
      internal::rethrow_as_meowmx_error("postgres target: copying " + stem, options_.target_dsn);
    }
  }

  PostgresTargetOptions options_;
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, Connections> connections_;  // each used by one worker's thread
  std::map<std::string, TableSql> tables_;
};

}  // namespace

PkBatchAction make_postgres_target(const PostgresTargetOptions& options) {
  auto target = std::make_shared<PostgresTarget>(options);
  return [target](const PkBatch& batch) { return target->copy(batch); };
}

}  // namespace meowmx

#include "capture/postgres/publication.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/binarystring>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "capture/postgres/identifiers.h"
#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// Serialises meowmx's changes to publications and their comments.
constexpr long long kPublicationLockKey = 0x6d656f776d78 + 4;
constexpr std::string_view kCommentPrefix = "meowmx pub slots:";
constexpr auto kReleaseWait = std::chrono::seconds(5);

struct PublicationRow {
  bool all_tables = false;
  std::optional<std::set<std::string>> meowmx_slots;  // nullopt: not made by meowmx
  std::set<std::string> tables;                       // "schema.table"
};

std::optional<PublicationRow> read_publication(pqxx::transaction_base& tx, const std::string& publication) {
  auto result = tx.exec_params(
      "SELECT p.puballtables, obj_description(p.oid, 'pg_publication'),"
      " (SELECT json_agg(t.schemaname || '.' || t.tablename) FROM pg_publication_tables t"
      "  WHERE t.pubname = p.pubname)::text"
      " FROM pg_publication p WHERE p.pubname = $1",
      publication);
  if (result.empty()) return std::nullopt;
  PublicationRow row;
  row.all_tables = result[0][0].as<bool>();
  const std::string comment = result[0][1].is_null() ? "" : result[0][1].as<std::string>();
  if (comment.rfind(kCommentPrefix, 0) == 0) {
    std::istringstream names(comment.substr(kCommentPrefix.size()));
    row.meowmx_slots.emplace();
    for (std::string name; names >> name;) row.meowmx_slots->insert(name);
  }
  if (!result[0][2].is_null()) {
    for (const auto& name : nlohmann::json::parse(result[0][2].c_str())) row.tables.insert(name.get<std::string>());
  }
  return row;
}

void write_slots(pqxx::transaction_base& tx, const std::string& publication, const std::set<std::string>& slots) {
  std::string comment(kCommentPrefix);
  for (const auto& slot : slots) comment += " " + slot;
  tx.exec0("COMMENT ON PUBLICATION " + quote_identifier(publication) + " IS " + tx.quote(comment));
}

std::string table_list(const std::vector<PgTable>& tables) {
  std::string list;
  for (const auto& table : tables) list += (list.empty() ? "" : ", ") + quote_table(table.table.name);
  return list;
}

// Adds or removes the slot in the publication's list; returns the row as it was.
std::optional<PublicationRow> update_slot_list(Catalog& catalog, const std::string& publication,
                                               const std::string& slot, bool add) {
  return catalog.guarded("updating publication " + publication, [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPublicationLockKey);
    auto row = read_publication(tx, publication);
    if (row && row->meowmx_slots && row->meowmx_slots->count(slot) != (add ? 1u : 0u)) {
      auto slots = *row->meowmx_slots;
      if (add) {
        slots.insert(slot);
      } else {
        slots.erase(slot);
      }
      write_slots(tx, publication, slots);
    }
    tx.commit();
    return row;
  });
}

}  // namespace

void ensure_publication(Catalog& catalog, const std::string& publication,
                        const std::vector<PgTable>& tables) {
  catalog.guarded("preparing publication " + publication, [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPublicationLockKey);
    const auto row = read_publication(tx, publication);
    if (!row) {
      // Publishing through the partition root keeps a partitioned table's
      // changes under its own name rather than its partitions'.
      tx.exec0("CREATE PUBLICATION " + quote_identifier(publication) + " FOR TABLE " + table_list(tables) +
               " WITH (publish_via_partition_root = true)");
      write_slots(tx, publication, {});
      logger().info("created publication {} for {} table(s)", publication, tables.size());
    } else if (!row->all_tables) {
      std::vector<PgTable> missing;
      for (const auto& table : tables) {
        if (!row->tables.count(display_table(table.table.name))) missing.push_back(table);
      }
      if (!missing.empty() && !row->meowmx_slots) {
        throw InvalidArgument("publication " + publication + " was not made by meowmx and does not publish " +
                              display_table(missing.front().table.name) +
                              ": add the table to it, or choose another --publication");
      }
      if (!missing.empty()) {
        tx.exec0("ALTER PUBLICATION " + quote_identifier(publication) + " ADD TABLE " + table_list(missing));
        logger().info("publication {}: added {} table(s)", publication, missing.size());
      }
    }
    tx.commit();
  });
}

Lsn ensure_slot(Catalog& catalog, const std::string& slot, const std::string& publication) {
  const auto confirmed_position = [&] {
    return parse_lsn(catalog.guarded("", [&] {
      pqxx::nontransaction tx(catalog.connection());
      return tx.exec_params1("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
                             slot)[0].as<std::string>();
    }));
  };
  auto found = catalog.guarded("looking up slot " + slot, [&] {
    pqxx::nontransaction tx(catalog.connection());
    return tx.exec_params(
        "SELECT slot_type, coalesce(plugin, ''), coalesce(database::text, ''), coalesce(wal_status, ''),"
        " current_database()"
        " FROM pg_replication_slots WHERE slot_name = $1",
        slot);
  });
  if (!found.empty()) {
    const auto& row = found[0];
    if (row[0].as<std::string>() != "logical" || row[1].as<std::string>() != "pgoutput") {
      throw InvalidArgument("replication slot " + slot + " exists but is not a logical pgoutput slot (" +
                            row[0].as<std::string>() + " " + row[1].as<std::string>() +
                            "): choose another --slot");
    }
    if (row[2].as<std::string>() != row[4].as<std::string>()) {
      throw InvalidArgument("replication slot " + slot + " belongs to database " + row[2].as<std::string>() +
                            ", not " + row[4].as<std::string>() + ": choose another --slot");
    }
    if (row[3].as<std::string>() == "lost") {
      throw Error("replication slot " + slot +
                  " was invalidated (the server removed WAL it still needed, see "
                  "max_slot_wal_keep_size): changes since its last acknowledged position are lost. "
                  "Resynchronise what depends on it, then `meowmx pub-drop --slot " + slot +
                  "` and start again");
    }
    update_slot_list(catalog, publication, slot, true);
    return confirmed_position();
  }
  const auto row = catalog.guarded("", [&] {
    pqxx::nontransaction tx(catalog.connection());
    return read_publication(tx, publication);
  });
  if (row && row->meowmx_slots && row->meowmx_slots->count(slot)) {
    throw Error("replication slot " + slot + " of publication " + publication +
                " is gone (dropped by hand?): changes since its last acknowledged position are lost "
                "and meowmx will not silently start from now. Resynchronise what depends on it, then "
                "`meowmx pub-drop --slot " + slot + "` and start again");
  }
  catalog.guarded("creating replication slot " + slot, [&] {
    pqxx::nontransaction tx(catalog.connection());
    try {
      tx.exec_params("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot);
      logger().info("created replication slot {}", slot);
    } catch (const pqxx::sql_error& e) {
      // Another pub created it a moment ago: use it (or wait for it to be free).
      if (e.sqlstate() != "42710") throw;
    }
  });
  update_slot_list(catalog, publication, slot, true);
  return confirmed_position();
}

namespace {

// The most WAL pub-status decodes (from the slot's restart position) to see
// whether changes of its publication wait after the confirmed one: a bound
// on its cost, about a second.
constexpr std::int64_t kPeekBytes = 64 << 20;
// pgoutput's timestamps count microseconds from 2000-01-01 UTC.
constexpr std::int64_t kPostgresEpochUnixSeconds = 946684800;

// Whether changes of `publication` wait in the WAL after the slot's confirmed
// position and, when they do, how long ago the first one was committed.
// Needs the slot idle and its retained WAL within kPeekBytes.
void read_pending(pqxx::transaction_base& tx, PubStatus& status) {
  if (status.pending_wal_bytes == 0) {
    status.changes_pending = false;
    status.lag_seconds = 0;
    return;
  }
  if (status.active) {
    // The server's own measure for a streaming client: how long its last
    // acknowledgement trails the WAL it was sent; null once it caught up.
    auto lag = tx.exec_params("SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication WHERE pid = $1",
                              status.active_pid.value_or(0));
    if (!lag.empty() && !lag[0][0].is_null()) status.lag_seconds = lag[0][0].as<double>();
    return;
  }
  if (status.wal_status == "lost" || status.publication.empty() ||
      status.retained_wal_bytes > kPeekBytes) {
    return;
  }
  // The first message is the Begin of the first transaction with changes of
  // the publication: 'B', its final LSN, its commit time, its xid.
  auto first = tx.exec_params(
      "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, 1, 'proto_version', '1',"
      " 'publication_names', $2) LIMIT 1",
      status.slot, quote_identifier(status.publication));
  status.changes_pending = !first.empty();
  if (first.empty()) {
    status.lag_seconds = 0;
    return;
  }
  const pqxx::binarystring begin(first[0][0]);
  if (begin.size() < 17 || begin[0] != 'B') return;
  std::int64_t commit_micros = 0;
  for (std::size_t i = 9; i < 17; ++i) commit_micros = (commit_micros << 8) | begin[i];
  const double committed = static_cast<double>(kPostgresEpochUnixSeconds) + static_cast<double>(commit_micros) / 1e6;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  status.lag_seconds = std::max(0.0, now - committed);
}

}  // namespace

PubStatus read_status(Catalog& catalog, const std::string& slot, const std::string& publication) {
  return catalog.guarded("reading the status of slot " + slot, [&] {
    pqxx::nontransaction tx(catalog.connection());
    auto result = tx.exec_params(
        "SELECT s.plugin, coalesce(s.database::text, ''), s.active, s.active_pid,"
        " coalesce(s.wal_status, ''), coalesce(s.confirmed_flush_lsn::text, ''),"
        " coalesce(s.restart_lsn::text, ''), pg_current_wal_insert_lsn()::text,"
        " coalesce(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), s.restart_lsn), 0)::bigint,"
        " coalesce(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), s.confirmed_flush_lsn), 0)::bigint"
        " FROM pg_replication_slots s WHERE s.slot_name = $1",
        slot);
    if (result.empty()) throw Error("there is no replication slot named " + slot);
    const auto& row = result[0];
    PubStatus status;
    status.slot = slot;
    status.plugin = row[0].is_null() ? "" : row[0].as<std::string>();
    status.database = row[1].as<std::string>();
    status.active = row[2].as<bool>();
    if (!row[3].is_null()) status.active_pid = row[3].as<int>();
    status.wal_status = row[4].as<std::string>();
    status.confirmed_flush_lsn = row[5].as<std::string>();
    status.restart_lsn = row[6].as<std::string>();
    status.current_lsn = row[7].as<std::string>();
    status.retained_wal_bytes = row[8].as<std::int64_t>();
    status.pending_wal_bytes = row[9].as<std::int64_t>();
    if (const auto publication_row = read_publication(tx, publication)) {
      status.publication = publication;
      status.tables.assign(publication_row->tables.begin(), publication_row->tables.end());
    }
    if (status.plugin == "pgoutput") {
      try {
        read_pending(tx, status);
      } catch (const pqxx::sql_error& e) {
        // A pub took the slot in the meantime: the WAL figures stand alone.
        logger().debug("slot {}: cannot read ahead: {}", slot, e.what());
      }
    }
    return status;
  });
}

std::vector<std::pair<std::string, std::string>> list_slots(Catalog& catalog) {
  return catalog.guarded("listing the replication slots", [&] {
    pqxx::nontransaction tx(catalog.connection());
    std::map<std::string, std::string> publication_of;
    for (const auto& row : tx.exec("SELECT pubname FROM pg_publication ORDER BY pubname")) {
      const std::string publication = row[0].as<std::string>();
      const auto publication_row = read_publication(tx, publication);
      if (!publication_row || !publication_row->meowmx_slots) continue;
      for (const auto& slot : *publication_row->meowmx_slots) publication_of.emplace(slot, publication);
    }
    std::vector<std::pair<std::string, std::string>> slots;
    for (const auto& row : tx.exec("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'logical'"
                                   " AND plugin = 'pgoutput' AND database = current_database() ORDER BY slot_name")) {
      const std::string slot = row[0].as<std::string>();
      const auto found = publication_of.find(slot);
      slots.emplace_back(slot, found == publication_of.end() ? slot : found->second);
    }
    return slots;
  });
}

PubDropResult drop_slot_and_publication(Catalog& catalog, const std::string& slot,
                                        const std::string& publication) {
  PubDropResult dropped;
  catalog.guarded("dropping slot " + slot, [&] {
    pqxx::nontransaction tx(catalog.connection());
    // A pub that has just stopped releases its slot a moment later, when its
    // server process notices: give it that moment.
    const auto deadline = std::chrono::steady_clock::now() + kReleaseWait;
    for (;;) {
      auto result = tx.exec_params("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", slot);
      if (result.empty()) return;
      if (result[0][0].is_null()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw Error("replication slot " + slot + " is in use by the process with pid " +
                    result[0][0].as<std::string>() + ": stop that `meowmx pub` first");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    tx.exec_params("SELECT pg_drop_replication_slot($1)", slot);
    dropped.slot_dropped = true;
  });
  catalog.guarded("dropping publication " + publication, [&] {
    pqxx::work tx(catalog.connection());
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPublicationLockKey);
    const auto row = read_publication(tx, publication);
    if (!row) return;
    if (!row->meowmx_slots) {
      logger().warn("publication {} was not created by meowmx: left in place", publication);
      return;
    }
    auto slots = *row->meowmx_slots;
    slots.erase(slot);
    if (slots.empty()) {
      tx.exec0("DROP PUBLICATION " + quote_identifier(publication));
      dropped.publication_dropped = true;
    } else {
      write_slots(tx, publication, slots);
      logger().info("publication {} kept: still used by slot(s) of meowmx", publication);
    }
    tx.commit();
  });
  return dropped;
}

}  // namespace meowmx::internal

// Pub: change capture from a source into sinks.
//
// A Pub reads row changes of the chosen tables from one source and hands
// them, one transaction at a time and in commit order, to its sinks (see
// sink.h) and to the signals of a SignalBus (see signal.h), where
// application code receives them as meepo's did. A service runs it in a thread:
//
//   meowmx::Pub pub({.source = meowmx::PostgresSource{.dsn = dsn, .tables = {"orders"}}});
//   meowmx::signal("orders_update").connect([](const nlohmann::json& pk) { ... });
//   std::thread worker([&] { pub.run(); });
//   ...
//   pub.stop();
//   worker.join();
//
// Sources, each with its own options:
//   PostgresSource         logical decoding with the built-in pgoutput plugin through a
//                          publication and a named persistent replication slot; the slot
//                          is acknowledged up to what every sink has (the low watermark).
//   PostgresTriggerSource  statement triggers that NOTIFY; low latency, but changes made
//                          while nobody listens are lost.
#ifndef MEOWMX_CAPTURE_PUB_H_
#define MEOWMX_CAPTURE_PUB_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "meowmx/capture/signal.h"
#include "meowmx/capture/sink.h"

namespace meowmx {

struct PostgresSource {
  // libpq connection string or URI; its role needs the REPLICATION attribute
  // (or superuser). Never printed with its password.
  std::string dsn;
  // "orders" (schema public), "sales.orders", or with double quotes for any
  // other name: "\"Odd Schema\".\"order-items\"". Each needs a primary key.
  std::vector<std::string> tables;
  // The replication slot, created on first use: lowercase letters, digits, '_'.
  std::string slot = "meowmx_pub";
  // The publication, created for the tables before the slot. Empty: named like the slot.
  std::string publication;
  // Stop once the WAL written before run() started is delivered and
  // acknowledged, instead of waiting for more.
  bool once = false;
  // How often the position is reported to the server, also while sinks are
  // busy or nothing arrives; keep it well below the server's wal_sender_timeout.
  std::chrono::milliseconds status_interval{10000};
};

struct PostgresTriggerSource {
  // Its role needs the right to create triggers on the tables.
  std::string dsn;
  std::vector<std::string> tables;  // as for PostgresSource
};

// A MySQL or MariaDB server's row binlog, read as a replica does (see
// docs/mysql-source.md). The server needs log_bin, binlog_format=ROW and
// binlog_row_metadata=FULL; the user REPLICATION SLAVE (MariaDB: BINLOG
// MONITOR and REPLICATION MASTER ADMIN too) and SELECT on the tables.
struct MysqlSource {
  // mysql://user:password@host:port/[database]. Never printed with its password.
  std::string dsn;
  // "db.table", or "table" in the DSN's database; each needs a primary key.
  std::vector<std::string> tables;
  // The stream's name: what its position is kept under, and what the default
  // server id derives from.
  std::string slot = "meowmx_pub";
  // Where a stream with no kept position starts: "beginning" (the oldest
  // binlog the server has), "now", "file:pos" ("mariadb-bin.000002:1234") or
  // "gtid:<MariaDB GTID list>" (after that transaction).
  std::string from = "beginning";
  // Where the position every sink has is kept, written after each transaction
  // they all have: the meowmx schema of this PostgreSQL database (set up
  // with `meowmx setup`), or, when `state_file` is set, that file (written
  // atomically). One of the two is needed.
  std::string position_dsn;
  std::string state_file;
  // The replica id the server knows the stream by; 0: derived from `slot`
  // (stable, in [1, 2^32-1], away from small ids). Two replicas must not share one.
  std::uint32_t server_id = 0;
  // Stop at the end of the binlog as it is at the start instead of waiting for more.
  bool once = false;
  // How often an idle server sends a heartbeat; a connection silent for four
  // of these is taken for dead and opened again.
  std::chrono::milliseconds heartbeat{1000};
};

using SourceOptions = std::variant<PostgresSource, PostgresTriggerSource, MysqlSource>;

// "postgres", "postgres-trigger" or "mysql".
std::string_view source_name(const SourceOptions& source);

struct PubOptions {
  SourceOptions source;
  // Longest wait between reconnection attempts after a lost connection (or
  // while another process holds the slot).
  std::chrono::milliseconds max_retry_wait{30000};
  // How much the source may read ahead of the slowest sink, in bytes of
  // changes held; a transaction of any size passes through in pieces.
  std::size_t buffer_bytes = 64 << 20;
};

class Pub {
 public:
  // Checks the options (InvalidArgument); connects only in run(). The bus's
  // signals are fed as one more sink (see signal.h).
  explicit Pub(PubOptions options, SignalBus& bus = default_signal_bus());
  ~Pub();
  Pub(const Pub&) = delete;
  Pub& operator=(const Pub&) = delete;

  // Before run(): one more sink. The pub owns it.
  void add_sink(std::unique_ptr<Sink> sink);

  // Prepares the source (publication and slot, or triggers), opens the sinks,
  // then passes changes on until stop() or, with `once`, the end of the WAL.
  // Reconnects with backoff when a connection breaks after streaming began.
  // Throws InvalidArgument for unknown tables or tables without a primary key,
  // ConnectionError when the database cannot be reached at first, and Error
  // for the rest: wal_level is not logical, the slot was dropped or
  // invalidated (never a silent restart from the current WAL), a sink failed.
  void run();

  // From any thread: run() returns after the transaction being read, once
  // the sinks have what was read and the source has been acknowledged.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A replication slot as `meowmx pub-status` shows it.
struct PubStatus {
  std::string slot;
  std::string plugin;
  std::string database;
  bool active = false;
  std::optional<int> active_pid;
  std::string wal_status;               // reserved, extended, unreserved or lost
  std::string confirmed_flush_lsn;      // acknowledged up to here
  std::string restart_lsn;              // the oldest WAL the slot keeps
  std::string current_lsn;              // the server's WAL insert position
  std::int64_t retained_wal_bytes = 0;  // current_lsn - restart_lsn
  std::int64_t pending_wal_bytes = 0;   // current_lsn - confirmed_flush_lsn, changes or not
  // Whether changes of the publication wait in that WAL, decoded ahead on an
  // idle slot; nullopt while a pub streams it or when it retains over 64 MB.
  std::optional<bool> changes_pending;
  // Seconds since the first unacknowledged change was committed (0 when none
  // waits); the server's replay lag while a pub streams it; nullopt: unknown.
  std::optional<double> lag_seconds;
  std::string publication;              // empty when it does not exist
  std::vector<std::string> tables;      // the publication's tables
  std::int64_t parked_changes = 0;      // in meowmx.capture_dead_letters for this slot's stream
};

// Throws Error when there is no slot of that name. An empty publication means
// the one named like the slot.
PubStatus pub_status(const std::string& dsn, const std::string& slot, const std::string& publication = "");

// Every pgoutput slot of the database, by name, each with the publication
// meowmx made it for (or the one named like it).
std::vector<PubStatus> pub_statuses(const std::string& dsn);

struct PubDropResult {
  bool slot_dropped = false;
  bool publication_dropped = false;
};

// Drops the slot, and the publication when meowmx created it and no other
// slot of meowmx's uses it. Dropping what is not there is no error; a slot
// some process still reads from after a few seconds is (stop that pub first).
PubDropResult pub_drop(const std::string& dsn, const std::string& slot, const std::string& publication = "");

// A MySQL stream's kept position beside the server's binlog.
struct MysqlPubStatus {
  std::string slot;
  std::optional<BinlogPosition> kept;  // nullopt: nothing kept yet
  BinlogPosition current;              // the end of the server's binlog now, with its GTID position
  bool purged = false;                 // the kept position's binlog is no longer on the server
  std::int64_t pending_bytes = 0;      // binlog bytes from the kept position to the end (0 when purged)
};

// Reads the position the way the source keeps it (MysqlSource::state_file,
// else position_dsn, under `slot`) and asks the server for its binlogs.
// Throws as Pub::run() does for bad options or unreachable servers.
MysqlPubStatus mysql_pub_status(const MysqlSource& source);

// Removes what the trigger source installed on these tables, and its
// trigger functions once no table uses them.
void uninstall_pub_triggers(const std::string& dsn, const std::vector<std::string>& tables);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_PUB_H_

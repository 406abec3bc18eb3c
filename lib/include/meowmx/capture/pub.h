// Pub: change capture from PostgreSQL tables onto signals.
//
// A Pub reads row changes of the chosen tables from a source and sends them,
// one transaction at a time and in commit order, on the signals of a
// SignalBus (see signal.h and change_event.h), where sinks and application
// code receive them. A service runs it in a thread:
//
//   meowmx::Pub pub({.dsn = dsn, .tables = {"orders"}});
//   meowmx::signal("orders_update").connect([](const nlohmann::json& pk) { ... });
//   std::thread worker([&] { pub.run(); });
//   ...
//   pub.stop();
//   worker.join();
//
// Sources:
//   kPostgres         logical decoding with the built-in pgoutput plugin through a
//                     publication and a named persistent replication slot. Each
//                     transaction is acknowledged after every receiver returned,
//                     so a crash redelivers at most the last unacknowledged one.
//   kPostgresTrigger  row triggers that NOTIFY; low latency, but changes made
//                     while nobody listens are lost.
#ifndef MEOWMX_CAPTURE_PUB_H_
#define MEOWMX_CAPTURE_PUB_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/capture/signal.h"

namespace meowmx {

enum class PubSource { kPostgres, kPostgresTrigger };

// "postgres" or "postgres-trigger"; throws InvalidArgument naming the choices otherwise.
PubSource parse_pub_source(std::string_view text);

struct PubOptions {
  // libpq connection string or URI; its role needs the REPLICATION attribute
  // (or superuser) for kPostgres, and the right to create triggers for
  // kPostgresTrigger. Never printed with its password.
  std::string dsn;
  PubSource source = PubSource::kPostgres;
  // "orders" (schema public) or "schema.table"; each needs a primary key.
  std::vector<std::string> tables;
  // kPostgres: the replication slot, created on first use. Letters, digits, '_'.
  std::string slot = "meowmx_pub";
  // kPostgres: the publication, created for the tables before the slot.
  // Empty: named like the slot.
  std::string publication;
  // kPostgres: stop once the WAL written before run() started is delivered,
  // instead of waiting for more.
  bool once = false;
  // kPostgres: how often the position is reported to the server even when
  // nothing arrives, which also lets an idle slot release WAL.
  std::chrono::milliseconds status_interval{10000};
  // Longest wait between reconnection attempts after a lost connection (or
  // while another process holds the slot).
  std::chrono::milliseconds max_retry_wait{30000};
};

class Pub {
 public:
  // Checks the options (InvalidArgument); connects only in run().
  explicit Pub(PubOptions options, SignalBus& bus = default_signal_bus());
  ~Pub();
  Pub(const Pub&) = delete;
  Pub& operator=(const Pub&) = delete;

  // Prepares the source (publication and slot, or triggers), then sends
  // changes until stop() or, with `once`, the end of the WAL. Reconnects with
  // backoff when a connection breaks after streaming began. Throws
  // InvalidArgument for unknown tables or tables without a primary key,
  // ConnectionError when the database cannot be reached at first, and Error
  // for the rest, e.g. wal_level is not logical or the slot was dropped or
  // invalidated (never a silent restart from the current WAL).
  void run();

  // From any thread: run() returns after the transaction being sent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Names the pub's capture stream for the log sink's event ids
// (LogSinkOptions::stream_id): "postgres:<system identifier>/<database>/<slot>"
// or "postgres-trigger:<system identifier>/<database>", so that two streams
// (other clusters, other slots) never make the same ids. Connects to ask.
std::string capture_stream_id(const PubOptions& options);

// A replication slot as `meowmx pub-status` shows it.
struct PubStatus {
  std::string slot;
  std::string plugin;
  std::string database;
  bool active = false;
  std::optional<int> active_pid;
  std::string wal_status;           // reserved, extended, unreserved or lost
  std::string confirmed_flush_lsn;  // acknowledged up to here
  std::string restart_lsn;          // the oldest WAL the slot keeps
  std::string current_lsn;          // the server's WAL insert position
  std::int64_t retained_wal_bytes = 0;  // current_lsn - restart_lsn
  std::int64_t pending_wal_bytes = 0;   // current_lsn - confirmed_flush_lsn
  std::string publication;          // empty when it does not exist
  std::vector<std::string> tables;  // the publication's tables
};

// Throws Error when there is no slot of that name. An empty publication means
// the one named like the slot.
PubStatus pub_status(const std::string& dsn, const std::string& slot, const std::string& publication = "");

struct PubDropResult {
  bool slot_dropped = false;
  bool publication_dropped = false;
};

// Drops the slot, and the publication when meowmx created it and no other
// slot of meowmx's uses it. Dropping what is not there is no error; a slot
// some process still reads from after a few seconds is (stop that pub first).
PubDropResult pub_drop(const std::string& dsn, const std::string& slot, const std::string& publication = "");

// Removes what the kPostgresTrigger source installed on these tables, and
// its trigger function once no table uses it.
void uninstall_pub_triggers(const std::string& dsn, const std::vector<std::string>& tables);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_PUB_H_

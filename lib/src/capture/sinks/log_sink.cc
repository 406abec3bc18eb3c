// The log sink: captured changes become events of the meowmx event log,
// exactly once. Each source transaction is one PostgreSQL transaction that
// appends its events (in batches, one statement each) and records the
// stream's resume point in meowmx.capture_positions; after a crash the
// pipeline skips what that point says is stored. A change the log cannot
// take is parked in meowmx.capture_dead_letters in the same transaction, or
// stops the pub, as configured.
#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "common/json_string.h"
#include "common/logger.h"
#include "common/uuid5.h"
#include "meowmx/capture/sink.h"
#include "meowmx/error.h"
#include "pg/connection_errors.h"
#include "pg/session.h"
#include "store/input_validation.h"
#include "store/schema.h"

namespace meowmx {
namespace {

// Fixed namespace of the log sink's event ids (any UUID would do, as long as
// it never changes).
constexpr std::string_view kEventIdNamespace = "6d656f77-6d78-5075-6221-6c6f672d6964";
// A truncate concerns every row: it is recorded on this aggregate id.
constexpr std::string_view kWholeTable = "*";
constexpr std::size_t kMaxKeyBytes = 1024;         // the event store's limit for text ids
constexpr std::size_t kMaxPayloadBytes = 1 << 20;  // json + metadata, as for every save
// One statement carries at most this many events, or bytes of them.
constexpr std::size_t kBatchEvents = 1000;
constexpr std::size_t kBatchBytes = 8 << 20;

// Appends a batch of events given as parallel arrays, numbering each
// aggregate's events from its current version (created at 0 when new).
// Only the log sink writes captured aggregates, in commit order, so no
// advisory lock is needed to keep their versions in log order.
constexpr const char* kAppendSql = R"sql(
WITH batch AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::uuid[])
    WITH ORDINALITY AS b(aggregate_type, aggregate_id, event_type, json, metadata, event_id, ord)
), counts AS (
  SELECT aggregate_type, aggregate_id, count(*) AS n FROM batch GROUP BY aggregate_type, aggregate_id
), bumped AS (
  INSERT INTO meowmx.aggregates AS a (aggregate_type, aggregate_id, version)
  SELECT aggregate_type, aggregate_id::meowmx.aggregate_id, n FROM counts
  ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = a.version + excluded.version
  RETURNING a.aggregate_type, a.aggregate_id::text AS aggregate_id, a.version
)
INSERT INTO meowmx.events (aggregate_type, aggregate_id, version, event_type, json, metadata, event_id)
SELECT b.aggregate_type, b.aggregate_id::meowmx.aggregate_id,
       k.version - c.n + row_number() OVER (PARTITION BY b.aggregate_type, b.aggregate_id ORDER BY b.ord) - 1,
       b.event_type, b.json, b.metadata, b.event_id
FROM batch b JOIN counts c USING (aggregate_type, aggregate_id) JOIN bumped k USING (aggregate_type, aggregate_id)
ORDER BY b.ord
)sql";

constexpr const char* kResumePointSql =
    "INSERT INTO meowmx.capture_positions (stream, position) VALUES ($1, $2::jsonb)"
    " ON CONFLICT (stream) DO UPDATE SET position = excluded.position, updated_at = now()";

constexpr const char* kParkSql =
    "INSERT INTO meowmx.capture_dead_letters (stream, position, table_name, key, reason, change)"
    " VALUES ($1, $2::jsonb, $3, $4, $5, $6)";

// One change as the event it becomes: a member of a batch, or what is parked.
struct PendingEvent {
  std::string type;  // the aggregate type: the table's stem
  std::string key;   // the aggregate id
  std::string name;  // the event type, "orders_update"
  std::string data;
  std::string metadata;
  std::string event_id;
  std::string position;

  std::size_t bytes() const { return data.size() + metadata.size(); }
  // {"aggregate_type", "aggregate_id", "event_type", "json", "metadata", "event_id"}: what is parked.
  std::string json() const {
    std::string out = R"({"aggregate_type":)";
    internal::append_json_string(out, type);
    out += R"(,"aggregate_id":)";
    internal::append_json_string(out, key);
    out += R"(,"event_type":)";
    internal::append_json_string(out, name);
    out += R"(,"json":)" + data + R"(,"metadata":)" + metadata + R"(,"event_id":")" + event_id + "\"}";
    return out;
  }
};

// An element of a PostgreSQL array literal: quoted, '"' and '\' escaped.
void append_array_element(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

class LogSink : public Sink {
 public:
  explicit LogSink(const LogSinkOptions& options)
      : options_(options), session_(ClientOptions{options.dsn, "meowmx pub log sink"}) {
    session_.guarded("log sink", [&] {
      pqxx::nontransaction tx(session_.connection());
      const auto id_type = internal::installed_aggregate_id_type(tx);
      if (!id_type || !tx.exec1("SELECT to_regclass('meowmx.capture_positions') IS NOT NULL")[0].as<bool>()) {
        throw InvalidArgument("log sink: the event store is not set up (or is older than this meowmx): run "
                              "`meowmx setup --aggregate-id-type text` on it first");
      }
      if (*id_type != AggregateIdType::kText) {
        throw InvalidArgument(
            "log sink: the event store's aggregate id type is " + std::string(to_string(*id_type)) +
            ", but captured primary keys (numbers, strings, composite keys) need text: use a database set up "
            "with `meowmx setup --aggregate-id-type text`");
      }
    });
  }

  std::string_view name() const override { return "log"; }

  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks&) override {
    stream_id_ = stream.id;
    for (const CapturedTable& table : stream.tables) {
      // Capturing the log into itself would never stop.
      if (table.name.space == "meowmx") throw InvalidArgument("log sink: cannot capture meowmx's own tables");
      internal::check_name("aggregate type (the log sink's name for table " + table.name.space + "." +
                               table.name.name + ")",
                           table.stem);
    }
    const auto read = [&] {
      return session_.guarded("log sink: reading its resume point", [&] {
        pqxx::nontransaction tx(session_.connection());
        return tx.exec_params("SELECT position::text FROM meowmx.capture_positions WHERE stream = $1",
                              stream_id_);
      });
    };
    pqxx::result stored;
    try {
      stored = read();
    } catch (const ConnectionError&) {
      // The last session may have ended with this connection: one more try on a new one.
      session_.reconnect();
      stored = read();
    }
    if (stored.empty()) return std::nullopt;
    return parse_transaction_position(stored[0][0].c_str());
  }

  Interest interest(const CapturedTable&) const override { return Interest::kRows; }

  void begin(const Transaction&) override {
    work_.reset();
    batch_.clear();
    batch_bytes_ = 0;
  }

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    PendingEvent event = to_event(transaction, change);
    if (const std::string reason = unstorable(event); !reason.empty()) {
      park(event, reason);
      return;
    }
    batch_bytes_ += event.bytes();
    batch_.push_back(std::move(event));
    if (batch_.size() >= kBatchEvents || batch_bytes_ >= kBatchBytes) flush();
  }

  bool commit(const Transaction& transaction) override {
    if (!work_ && batch_.empty()) return true;  // nothing captured: nothing to record
    flush();
    session_.guarded("log sink: committing", [&] {
      work_->exec_params(kResumePointSql, stream_id_, to_json_text(transaction.position));
      work_->exec("SELECT pg_notify('meowmx_events', '')");
      work_->commit();
    });
    internal::logger().debug("log sink: recorded {} change(s) of transaction {}", recorded_, transaction.xid);
    work_.reset();
    recorded_ = 0;
    return true;
  }

  void abort() override {
    work_.reset();
    batch_.clear();
    batch_bytes_ = 0;
    recorded_ = 0;
  }

 private:
  PendingEvent to_event(const Transaction& transaction, const ChangeEvent& change) const {
    PendingEvent event;
    event.type = change.table->stem;
    event.name = change.name();
    event.key = change.action == ChangeAction::kTruncate ? std::string(kWholeTable) : pk_text(change);
    event.position = change_position_json(transaction.position, change.index);
    append_payload(event.data, change);
    std::string& metadata = event.metadata;
    metadata = R"({"capture":)";
    internal::append_json_string(metadata, stream_id_);
    metadata += R"(,"position":)";
    metadata += event.position;
    metadata += R"(,"xid":)";
    metadata += std::to_string(transaction.xid);
    metadata += R"(,"commit_time":)";
    internal::append_json_string(metadata, transaction.commit_time);
    metadata += '}';
    // The same change redelivered gets the same id (the position's keys in
    // nlohmann's order, as earlier versions made them).
    event.event_id =
        internal::uuid5(kEventIdNamespace, stream_id_ + " " + nlohmann::json::parse(event.position).dump());
    return event;
  }

  // {"values": row} or {"before": row, "after": row}, and the unchanged TOAST columns.
  static void append_payload(std::string& json, const ChangeEvent& change) {
    const auto append_row = [&json](const char* name, const std::optional<Row>& row) {
      json += '"';
      json += name;
      json += "\":";
      if (row) {
        append_json(json, *row);
      } else {
        json += "null";
      }
    };
    json += '{';
    if (change.action == ChangeAction::kUpdate) {
      append_row("before", change.before);
      json += ',';
      append_row("after", change.after);
    } else {
      append_row("values", change.values);
    }
    if (!change.unchanged_toast.empty()) {
      json += R"(,"unchanged_toast":[)";
      for (std::size_t i = 0; i < change.unchanged_toast.size(); ++i) {
        if (i > 0) json += ',';
        internal::append_json_string(json, change.unchanged_toast[i]);
      }
      json += ']';
    }
    json += '}';
  }

  static std::string unstorable(const PendingEvent& event) {
    if (event.key.size() > kMaxKeyBytes) {
      return "its key is " + std::to_string(event.key.size()) + " bytes, over the event log's " +
             std::to_string(kMaxKeyBytes) + " for an aggregate id";
    }
    if (event.bytes() > kMaxPayloadBytes) {
      return "it is " + std::to_string(event.bytes()) + " bytes as an event, over the event log's " +
             std::to_string(kMaxPayloadBytes) + "-byte payload limit";
    }
    return {};
  }

  pqxx::work& work() {
    if (!work_) {
      session_.guarded("log sink", [&] { work_ = std::make_unique<pqxx::work>(session_.connection()); });
    }
    return *work_;
  }

  // Appends the batch in one statement. Should the server refuse it (a
  // value jsonb cannot hold, say), the events go one at a time, and those it
  // still refuses are parked: one bad change never blocks the stream.
  void flush() {
    if (batch_.empty()) return;
    pqxx::work& tx = work();
    std::string refusal;
    const bool appended = session_.guarded("log sink: appending events", [&] {
      return try_append(tx, 0, batch_.size(), refusal);
    });
    if (!appended) {
      for (std::size_t i = 0; i < batch_.size(); ++i) {
        const bool one = session_.guarded("log sink: appending an event", [&] {
          return try_append(tx, i, i + 1, refusal);
        });
        if (!one) park(batch_[i], refusal);
      }
    }
    recorded_ += batch_.size();
    batch_.clear();
    batch_bytes_ = 0;
  }

  // Appends batch_[from, to) under a savepoint; false (with the server's
  // reason) when the server refuses their data, which is then rolled back.
  bool try_append(pqxx::work& tx, std::size_t from, std::size_t to, std::string& refusal) const {
    tx.exec0("SAVEPOINT meowmx_log_append");
    try {
      append(tx, from, to);
    } catch (const pqxx::data_exception& e) {
      refusal = "the server refused it: " + internal::one_line(e.what());
      tx.exec0("ROLLBACK TO SAVEPOINT meowmx_log_append");
      return false;
    }
    tx.exec0("RELEASE SAVEPOINT meowmx_log_append");
    return true;
  }

  // Runs the append statement for batch_[from, to): its six arrays.
  void append(pqxx::transaction_base& tx, std::size_t from, std::size_t to) const {
    std::string arrays[6];
    for (std::string& array : arrays) array = "{";
    for (std::size_t i = from; i < to; ++i) {
      const PendingEvent& event = batch_[i];
      const std::string_view fields[6] = {event.type, event.key, event.name, event.data, event.metadata,
                                          event.event_id};
      for (std::size_t f = 0; f < 6; ++f) {
        if (i > from) arrays[f] += ',';
        append_array_element(arrays[f], fields[f]);
      }
    }
    for (std::string& array : arrays) array += '}';
    tx.exec_params0(kAppendSql, arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5]);
  }

  // Parks the change in the open transaction, or stops the pub, as configured.
  void park(const PendingEvent& event, const std::string& reason) {
    if (options_.on_unstorable == OnUnstorable::kStop) {
      throw Error("log sink: cannot store " + event.name + " " + event.key.substr(0, 60) +
                  (event.key.size() > 60 ? "..." : "") + " at " + event.position + ": " + reason);
    }
    pqxx::work& tx = work();
    session_.guarded("log sink: parking a change", [&] {
      tx.exec_params0(kParkSql, stream_id_, event.position, event.type, event.key, reason, event.json());
    });
    internal::logger().warn("log sink: parked {} {} at {} in meowmx.capture_dead_letters: {}", event.name,
                            event.key.substr(0, 60), event.position, reason);
  }

  LogSinkOptions options_;
  internal::Session session_;
  std::string stream_id_;
  std::unique_ptr<pqxx::work> work_;  // the open source transaction's
  std::vector<PendingEvent> batch_;
  std::size_t batch_bytes_ = 0;
  std::size_t recorded_ = 0;
};

}  // namespace

std::unique_ptr<Sink> make_log_sink(const LogSinkOptions& options) { return std::make_unique<LogSink>(options); }

}  // namespace meowmx

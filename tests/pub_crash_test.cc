// Change capture into the event log when things go wrong: the server
// crashing twice under load, a transaction larger than any buffer, sinks
// slower than the server's wal_sender_timeout. This binary has its own
// throwaway cluster, which it crashes and reconfigures.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/running_pub.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

using testing::query_value;
using testing::sql;
using testing::wait_until;

std::string unique_slot() {
  static std::atomic<int> counter{0};
  return "pub_crash_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

PostgresSource source_for(const std::string& dsn, const std::string& table) {
  PostgresSource source;
  source.dsn = dsn;
  source.tables = {table};
  source.slot = unique_slot();
  source.status_interval = 200ms;
  return source;
}

// Creates the slot, so that what is written from now on is captured.
void create_slot(PostgresSource source) {
  source.once = true;
  SignalBus bus;
  Pub({.source = source}, bus).run();
}

// A count on a fresh connection each time, so it works across restarts;
// -1 while the server does not answer.
std::int64_t count(const std::string& dsn, const std::string& query) {
  try {
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    return tx.exec1(query)[0].as<std::int64_t>();
  } catch (const pqxx::broken_connection&) {
    return -1;
  } catch (const pqxx::sql_error&) {
    return -1;  // the server is still starting up
  }
}

// Inserts transactions of kRowsPerTransaction rows with ascending ids until
// stopped, across server crashes, and knows exactly which ones committed.
class Writer {
 public:
  static constexpr int kRowsPerTransaction = 20;

  explicit Writer(std::string dsn) : dsn_(std::move(dsn)), thread_([this] { run(); }) {}
  ~Writer() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t committed_rows() const { return committed_transactions_ * kRowsPerTransaction; }

 private:
  void run() {
    std::int64_t next = 0;  // transaction number
    while (!stopping_) {
      try {
        pqxx::connection connection(dsn_);
        while (!stopping_) {
          pqxx::work tx(connection);
          tx.exec_params0("INSERT INTO ledger SELECT i, 1 FROM generate_series($1::bigint, $2::bigint) i",
                          next * kRowsPerTransaction + 1, (next + 1) * kRowsPerTransaction);
          tx.commit();
          committed_transactions_ = ++next;
        }
      } catch (const std::exception&) {
        // The server went away, perhaps mid-commit: the rows say whether it happened.
        while (!stopping_) {
          const auto rows = count(dsn_, "SELECT count(*) FROM ledger");
          if (rows >= 0) {
            next = rows / kRowsPerTransaction;
            committed_transactions_ = next;
            break;
          }
          std::this_thread::sleep_for(50ms);  // a retry interval while the server is down
        }
      }
    }
  }

  std::string dsn_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> committed_transactions_{0};
  std::thread thread_;
};

void crash_and_restart() {
  const auto port = testing::cluster().port();
  testing::cluster().kill();
  testing::cluster().start();
  REQUIRE(testing::cluster().port() == port);
}

// A sink that takes its time over every transaction.
class SlowSink : public Sink {
 public:
  SlowSink(std::atomic<int>& commits, std::atomic<int>& opens) : commits_(commits), opens_(opens) {}
  std::string_view name() const override { return "slow"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks&) override {
    ++opens_;
    return std::nullopt;
  }
  Interest interest(const CapturedTable&) const override { return Interest::kKeys; }
  void begin(const Transaction&) override {}
  void change(const Transaction&, const ChangeEvent&) override {}
  bool commit(const Transaction&) override {
    std::this_thread::sleep_for(400ms);  // the work this sink stands for
    ++commits_;
    return true;
  }
  void abort() override {}

 private:
  std::atomic<int>& commits_;
  std::atomic<int>& opens_;
};

}  // namespace

TEST_CASE("the log sink holds every change exactly once across two server crashes under load") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  sql(dsn, "CREATE TABLE ledger (id bigint PRIMARY KEY, amount int)");
  const auto source = source_for(dsn, "ledger");
  create_slot(source);
  SignalBus bus;
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(make_log_sink({.dsn = dsn}));
  testing::RunningPub pub({.source = source, .max_retry_wait = 500ms}, std::move(sinks), bus);
  Writer writer(dsn);
  const auto events = [&] {
    pub.rethrow_if_failed();
    return count(dsn, "SELECT count(*) FROM meowmx.events");
  };
  for (int crash = 1; crash <= 2; ++crash) {
    const auto before = events();
    wait_until("events flow into the log", 60s, [&] { return events() > before + 200; });
    crash_and_restart();
  }
  wait_until("events flow again after the second crash", 60s, [&] { return events() > 0; });
  const auto after = events();
  wait_until("more events after the second crash", 60s, [&] { return events() > after + 200; });
  writer.stop();
  const auto rows = writer.committed_rows();
  REQUIRE(rows == count(dsn, "SELECT count(*) FROM ledger"));
  wait_until("every committed row is in the log", 120s, [&] { return events() == rows; });
  CHECK(count(dsn, "SELECT count(DISTINCT aggregate_id) FROM meowmx.events") == rows);
  CHECK(count(dsn, "SELECT count(*) FROM ledger l WHERE NOT EXISTS"
                   " (SELECT 1 FROM meowmx.events e WHERE e.aggregate_id = l.id::text)") == 0);
  CHECK(count(dsn, "SELECT count(*) FROM meowmx.capture_dead_letters") == 0);
  // Every aggregate's one event is version 0: nothing was appended twice.
  CHECK(count(dsn, "SELECT max(version) FROM meowmx.events") == 0);
  pub.stop();
  pub_drop(dsn, source.slot);
}

TEST_CASE("a 200,000-row transaction goes through the log sink once with the default wal_sender_timeout") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  REQUIRE(query_value<std::string>(dsn, "SHOW wal_sender_timeout") == "1min");
  sql(dsn, "CREATE TABLE big (id bigint PRIMARY KEY, note text)");
  auto source = source_for(dsn, "big");
  create_slot(source);
  sql(dsn, "INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 200000) i");
  sql(dsn, "INSERT INTO big VALUES (0, 'the next transaction')");
  source.once = true;
  SignalBus bus;
  // A buffer far smaller than the transaction: it passes in pieces.
  Pub pub({.source = source, .buffer_bytes = 1 << 20}, bus);
  pub.add_sink(make_log_sink({.dsn = dsn}));
  pub.run();
  CHECK(query_value<std::int64_t>(dsn, "SELECT count(*) FROM meowmx.events") == 200001);
  CHECK(query_value<std::int64_t>(dsn, "SELECT count(DISTINCT aggregate_id) FROM meowmx.events") == 200001);
  // Acknowledged: a second run has nothing to deliver.
  CHECK(query_value<bool>(dsn, "SELECT confirmed_flush_lsn >= (SELECT max((metadata->'position'->>'lsn')::pg_lsn)"
                               " FROM meowmx.events) FROM pg_replication_slots WHERE slot_name = '" +
                                   source.slot + "'"));
  pub_drop(dsn, source.slot);
}

TEST_CASE("sinks slower than wal_sender_timeout keep the stream: the pub answers the server meanwhile") {
  const auto admin = testing::admin_dsn();
  sql(admin, "ALTER SYSTEM SET wal_sender_timeout = '1s'");
  sql(admin, "SELECT pg_reload_conf()");
  const auto dsn = testing::fresh_database();
  REQUIRE(query_value<std::string>(dsn, "SHOW wal_sender_timeout") == "1s");
  sql(dsn, "CREATE TABLE slow (id int PRIMARY KEY)");
  auto source = source_for(dsn, "slow");
  create_slot(source);
  constexpr int kTransactions = 8;  // 3.2 s of sink work, three times the timeout
  for (int i = 1; i <= kTransactions; ++i) sql(dsn, "INSERT INTO slow VALUES (" + std::to_string(i) + ")");
  source.once = true;
  std::atomic<int> commits{0};
  std::atomic<int> opens{0};
  SignalBus bus;
  // One byte of buffer: the source waits for the sink after every change.
  Pub pub({.source = source, .buffer_bytes = 1}, bus);
  pub.add_sink(std::make_unique<SlowSink>(commits, opens));
  pub.run();
  sql(admin, "ALTER SYSTEM RESET wal_sender_timeout");
  sql(admin, "SELECT pg_reload_conf()");
  CHECK(commits == kTransactions);
  CHECK(opens == 1);  // one session: the server never dropped it
  pub_drop(dsn, source.slot);
}

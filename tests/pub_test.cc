// Change capture through the C++ API: a Pub running in a thread against a
// real PostgreSQL (logical decoding, pgoutput), its signals, and the log
// sink. Every test uses its own database and its own slot, and waits for
// conditions instead of sleeping.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/polling.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using testing::eventually;
using testing::query_value;
using testing::sql;

// Slots belong to the cluster, not the database: each test takes its own name.
std::string unique_slot() {
  static std::atomic<int> counter{0};
  return "pub_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

PostgresSource options_for(const std::string& dsn, std::vector<std::string> tables) {
  PostgresSource options;
  options.dsn = dsn;
  options.tables = std::move(tables);
  options.slot = unique_slot();
  options.status_interval = 100ms;
  return options;
}

// Everything a private bus carried for some tables (by event stem): meepo
// lines, raw events and transaction ends, in arrival order.
class Recorder {
 public:
  Recorder(SignalBus& bus, const std::vector<std::string>& tables) {
    for (const auto& table : tables) {
      for (const char* action : {"write", "update", "delete", "truncate"}) {
        const std::string name = table + "_" + action;
        connections_.emplace_back(bus.signal(name).connect([this, name](const json& pk) {
          std::lock_guard lock(mutex_);
          lines_.push_back(pk.is_null() ? name : name + " " + (pk.is_string() ? pk.get<std::string>() : pk.dump()));
        }));
        connections_.emplace_back(bus.signal(name + "_raw").connect([this](const json& event) {
          std::lock_guard lock(mutex_);
          raw_.push_back(event);
        }));
      }
    }
    connections_.emplace_back(bus.signal(kPositionSignal).connect([this](const json& position) {
      std::lock_guard lock(mutex_);
      positions_.push_back(position);
    }));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  std::vector<json> raw() const {
    std::lock_guard lock(mutex_);
    return raw_;
  }
  std::vector<json> positions() const {
    std::lock_guard lock(mutex_);
    return positions_;
  }
  bool has_lines(std::size_t count) const {
    std::lock_guard lock(mutex_);
    return lines_.size() >= count;
  }
  // The position signal ends each transaction, after its changes.
  bool has_transactions(std::size_t count) const {
    std::lock_guard lock(mutex_);
    return positions_.size() >= count;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  std::vector<json> raw_;
  std::vector<json> positions_;
  std::vector<ScopedConnection> connections_;
};

// A Pub in its own thread, as a service runs one; stopped, joined and its
// slot dropped at the end of the test.
class Running {
 public:
  Running(PostgresSource options, SignalBus& bus) : options_(std::move(options)), pub_({.source = options_}, bus) {
    worker_ = std::thread([this] {
      try {
        pub_.run();
      } catch (...) {
        error_ = std::current_exception();
      }
      finished_ = true;
    });
  }
  ~Running() {
    stop();
    try {
      pub_drop(options_.dsn, options_.slot);
    } catch (const std::exception&) {
      // The test already failed for a reason of its own.
    }
  }
  // Until the slot streams: changes committed after this are captured.
  void wait_until_streaming() {
    REQUIRE(eventually([&] {
      if (finished_) return true;
      return query_value<bool>(options_.dsn,
                               "SELECT coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = '" +
                                   options_.slot + "'), false)");
    }));
    rethrow();
  }
  void stop() {
    pub_.stop();
    if (worker_.joinable()) worker_.join();
  }
  void rethrow() {
    if (error_) std::rethrow_exception(error_);
  }
  const std::string& slot() const { return options_.slot; }

 private:
  PostgresSource options_;
  Pub pub_;
  std::thread worker_;
  std::atomic<bool> finished_{false};
  std::exception_ptr error_;
};

// Runs a pub with `once` to completion: delivers what is in the slot.
void run_once(PostgresSource options, SignalBus& bus, std::unique_ptr<Sink> sink = nullptr) {
  options.once = true;
  Pub pub({.source = options}, bus);
  if (sink) pub.add_sink(std::move(sink));
  pub.run();
}

}  // namespace

TEST_CASE("signals reach their receivers in connection order until disconnected") {
  SignalBus bus;
  std::vector<std::string> seen;
  Connection first = bus.signal("orders_write").connect([&](const json& pk) { seen.push_back("a" + pk.dump()); });
  {
    ScopedConnection second = bus.signal("orders_write").connect([&](const json& pk) {
      seen.push_back("b" + pk.dump());
    });
    bus.signal("orders_write").send(1);
    CHECK(seen == std::vector<std::string>{"a1", "b1"});
  }
  bus.signal("orders_write").send(2);
  CHECK(seen == std::vector<std::string>{"a1", "b1", "a2"});
  CHECK(first.connected());
  first.disconnect();
  CHECK_FALSE(first.connected());
  CHECK_FALSE(bus.signal("orders_write").has_receivers());
  CHECK(&bus.signal("orders_write") == &bus.signal("orders_write"));
}

TEST_CASE("pub options are checked before anything connects") {
  auto options = options_for("postgresql://127.0.0.1:1/none", {"orders"});
  SignalBus bus;
  options.slot = "Bad-Slot";
  CHECK_THROWS_AS(Pub({.source = options}, bus), InvalidArgument);
  options.slot = "ok";
  options.tables = {"orders\"; drop table x; --"};
  CHECK_THROWS_AS(Pub({.source = options}, bus), InvalidArgument);
  options.tables = {};
  CHECK_THROWS_AS(Pub({.source = options}, bus), InvalidArgument);
  options.tables = {"orders"};
  options.status_interval = 0ms;
  CHECK_THROWS_AS(Pub({.source = options}, bus), InvalidArgument);
  CHECK_THROWS_AS(Pub({.source = PostgresTriggerSource{"postgresql://127.0.0.1:1/none", {"a b"}}}, bus),
                  InvalidArgument);
  CHECK(source_name(SourceOptions{PostgresTriggerSource{}}) == "postgres-trigger");
}

TEST_CASE("unknown tables and tables without a primary key are refused") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE keyless (a int); CREATE TABLE keyed (id int PRIMARY KEY);"
           "CREATE TABLE no_identity (id int PRIMARY KEY); ALTER TABLE no_identity REPLICA IDENTITY NOTHING");
  SignalBus bus;
  CHECK_THROWS_AS(run_once(options_for(dsn, {"missing"}), bus), InvalidArgument);
  CHECK_THROWS_WITH(run_once(options_for(dsn, {"keyed", "keyless"}), bus), Catch::Contains("no primary key"));
  CHECK_THROWS_WITH(run_once(options_for(dsn, {"no_identity"}), bus), Catch::Contains("replica identity"));
  CHECK_THROWS_AS(run_once(options_for("postgresql://postgres@127.0.0.1:1/none", {"keyed"}), bus),
                  ConnectionError);
  // Somebody else's publication is used as it is, never changed.
  sql(dsn, "CREATE TABLE other (id int PRIMARY KEY); CREATE PUBLICATION theirs FOR TABLE keyed");
  auto options = options_for(dsn, {"keyed", "other"});
  options.publication = "theirs";
  CHECK_THROWS_WITH(run_once(options, bus), Catch::Contains("not made by meowmx"));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'theirs'") == 1);
}

TEST_CASE("a running pub delivers each transaction in commit order, then stops on request") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id bigint PRIMARY KEY, status text)");
  SignalBus bus;
  Recorder recorder(bus, {"orders"});
  Running pub(options_for(dsn, {"orders"}), bus);
  pub.wait_until_streaming();
  // One call, one transaction (a multi-statement string is one implicit transaction).
  sql(dsn, "INSERT INTO orders VALUES (3, 'new')");
  sql(dsn,
      "INSERT INTO orders VALUES (2, 'new'); UPDATE orders SET status = 'paid' WHERE id = 3;"
      "INSERT INTO orders VALUES (1, 'new')");
  sql(dsn, "DELETE FROM orders WHERE id = 2");
  REQUIRE(eventually([&] { return recorder.has_transactions(3); }));
  CHECK(recorder.lines() == std::vector<std::string>{"orders_write 3", "orders_write 2", "orders_update 3",
                                                     "orders_write 1", "orders_delete 2"});
  const auto positions = recorder.positions();
  REQUIRE(positions.size() == 3);
  CHECK(positions[1]["changes"] == 3);
  const auto raw = recorder.raw();
  REQUIRE(raw.size() == 5);
  CHECK(raw[2]["after"] == json{{"id", 3}, {"status", "paid"}});
  CHECK(raw[2]["position"]["index"] == 1);
  CHECK(raw[2]["position"]["lsn"] == raw[1]["position"]["lsn"]);
  CHECK(raw[4]["values"] == json{{"id", 2}});
  const auto started = std::chrono::steady_clock::now();
  pub.stop();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  pub.rethrow();
}

TEST_CASE("composite keys are JSON arrays, and a changed key is a delete and a write") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE lines (order_id int, sku text, qty int, PRIMARY KEY (order_id, sku))");
  SignalBus bus;
  Recorder recorder(bus, {"lines"});
  const auto options = options_for(dsn, {"lines"});
  run_once(options, bus);  // creates the slot
  sql(dsn,
      "INSERT INTO lines VALUES (1, 'a-1', 2);"
      "UPDATE lines SET qty = 3 WHERE order_id = 1;"
      "UPDATE lines SET sku = 'b-2' WHERE order_id = 1;"
      "DELETE FROM lines;");
  run_once(options, bus);
  CHECK(recorder.lines() == std::vector<std::string>{R"(lines_write [1,"a-1"])", R"(lines_update [1,"a-1"])",
                                                     R"(lines_delete [1,"a-1"])", R"(lines_write [1,"b-2"])",
                                                     R"(lines_delete [1,"b-2"])"});
  const auto raw = recorder.raw();
  REQUIRE(raw.size() == 5);
  CHECK(raw[2]["values"] == json{{"order_id", 1}, {"sku", "a-1"}});  // the old key
  CHECK(raw[3]["values"] == json{{"order_id", 1}, {"sku", "b-2"}, {"qty", 3}});
  CHECK(raw[2]["position"]["lsn"] == raw[3]["position"]["lsn"]);  // one transaction
  pub_drop(dsn, options.slot);
}

TEST_CASE("REPLICA IDENTITY FULL still keys by the primary key and carries the old row") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE items (name text, id int PRIMARY KEY, price int);"
           "ALTER TABLE items REPLICA IDENTITY FULL;");
  SignalBus bus;
  Recorder recorder(bus, {"items"});
  const auto options = options_for(dsn, {"items"});
  run_once(options, bus);
  sql(dsn, "INSERT INTO items VALUES ('pen', 7, 1); UPDATE items SET price = 2; DELETE FROM items;");
  run_once(options, bus);
  CHECK(recorder.lines() == std::vector<std::string>{"items_write 7", "items_update 7", "items_delete 7"});
  const auto raw = recorder.raw();
  REQUIRE(raw.size() == 3);
  CHECK(raw[1]["before"] == json{{"name", "pen"}, {"id", 7}, {"price", 1}});
  CHECK(raw[2]["values"] == json{{"name", "pen"}, {"id", 7}, {"price", 2}});
  pub_drop(dsn, options.slot);
}

TEST_CASE("TOAST values an update did not touch are marked, not invented") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE docs (id int PRIMARY KEY, title text, body text)");
  SignalBus bus;
  Recorder recorder(bus, {"docs"});
  const auto options = options_for(dsn, {"docs"});
  run_once(options, bus);
  // md5 hex compresses poorly, so 96 kB of it is stored out of line.
  sql(dsn,
      "INSERT INTO docs SELECT 1, 'draft', string_agg(md5(i::text), '') FROM generate_series(1, 3000) i;"
      "UPDATE docs SET title = 'final' WHERE id = 1;"
      "UPDATE docs SET body = 'short' WHERE id = 1;");
  run_once(options, bus);
  const auto raw = recorder.raw();
  REQUIRE(raw.size() == 3);
  CHECK(raw[0]["values"]["body"].get<std::string>().size() == 96000);
  CHECK(raw[1]["after"] == json{{"id", 1}, {"title", "final"}});
  CHECK(raw[1]["unchanged_toast"] == json::array({"body"}));
  CHECK(raw[2]["after"]["body"] == "short");
  CHECK_FALSE(raw[2].contains("unchanged_toast"));
  pub_drop(dsn, options.slot);
}

TEST_CASE("ALTER TABLE mid-stream: the re-sent relation describes the rows that follow") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE accounts (id int PRIMARY KEY, owner text)");
  SignalBus bus;
  Recorder recorder(bus, {"accounts"});
  Running pub(options_for(dsn, {"accounts"}), bus);
  pub.wait_until_streaming();
  sql(dsn, "INSERT INTO accounts VALUES (1, 'ada')");
  REQUIRE(eventually([&] { return recorder.has_lines(1); }));
  sql(dsn,
      "ALTER TABLE accounts ADD COLUMN tier text DEFAULT 'basic', ADD COLUMN score int;"
      "INSERT INTO accounts VALUES (2, 'bob', 'gold', 5);"
      "UPDATE accounts SET owner = 'ada l.' WHERE id = 1;"
      "ALTER TABLE accounts DROP COLUMN score;"
      "INSERT INTO accounts VALUES (3, 'cy');");
  REQUIRE(eventually([&] { return recorder.has_lines(4); }));
  const auto raw = recorder.raw();
  CHECK(raw[0]["values"] == json{{"id", 1}, {"owner", "ada"}});
  CHECK(raw[1]["values"] == json{{"id", 2}, {"owner", "bob"}, {"tier", "gold"}, {"score", 5}});
  CHECK(raw[2]["after"] == json{{"id", 1}, {"owner", "ada l."}, {"tier", "basic"}, {"score", nullptr}});
  CHECK(raw[3]["values"] == json{{"id", 3}, {"owner", "cy"}, {"tier", "basic"}});
  pub.rethrow();
}

TEST_CASE("heartbeats keep an idle slot from holding the WAL other tables write") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE quiet (id int PRIMARY KEY); CREATE TABLE busy (id int PRIMARY KEY, pad text)");
  SignalBus bus;
  Running pub(options_for(dsn, {"quiet"}), bus);
  pub.wait_until_streaming();
  const auto before = query_value(dsn, "SELECT pg_current_wal_insert_lsn()::text");
  // An "idle hour" for the captured table: a lot of WAL from another one.
  sql(dsn, "INSERT INTO busy SELECT i, repeat('x', 200) FROM generate_series(1, 40000) i");
  const auto written = query_value<std::int64_t>(
      dsn, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '" + before + "')::bigint");
  REQUIRE(written > 8 * 1024 * 1024);
  const std::string retained_sql =
      "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::bigint FROM pg_replication_slots"
      " WHERE slot_name = '" + pub.slot() + "'";
  // A checkpoint logs the running transactions, from which the slot may
  // move its restart point once the pub has confirmed past them.
  CHECK(eventually([&] {
    sql(dsn, "CHECKPOINT");
    return query_value<std::int64_t>(dsn, retained_sql) < 1024 * 1024;
  }));
  CHECK(query_value<bool>(dsn, "SELECT confirmed_flush_lsn >= '" + before +
                                   "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + pub.slot() + "'"));
  pub.rethrow();
}

TEST_CASE("a dropped slot is a loud error, never a silent restart from now") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY)");
  SignalBus bus;
  const auto options = options_for(dsn, {"orders"});
  run_once(options, bus);
  sql(dsn, "INSERT INTO orders VALUES (1); SELECT pg_drop_replication_slot('" + options.slot + "')");
  CHECK_THROWS_WITH(run_once(options, bus), Catch::Contains("is gone") && Catch::Contains("pub-drop"));
  // After pub-drop the user starts afresh on purpose.
  const auto dropped = pub_drop(dsn, options.slot);
  CHECK_FALSE(dropped.slot_dropped);
  CHECK(dropped.publication_dropped);
  Recorder recorder(bus, {"orders"});
  run_once(options, bus);
  sql(dsn, "INSERT INTO orders VALUES (2)");
  run_once(options, bus);
  CHECK(recorder.lines() == std::vector<std::string>{"orders_write 2"});
  pub_drop(dsn, options.slot);
}

TEST_CASE("an invalidated slot is a loud error, never a silent restart from now") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY)");
  SignalBus bus;
  const auto options = options_for(dsn, {"orders"});
  run_once(options, bus);
  sql(dsn, "INSERT INTO orders VALUES (0)");
  {
    // The server may drop WAL a slot still needs past max_slot_wal_keep_size;
    // the setting is cluster-wide, so it goes back whatever happens here.
    struct KeepSize {
      explicit KeepSize(std::string d) : dsn(std::move(d)) {
        sql(dsn, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
        sql(dsn, "SELECT pg_reload_conf()");
      }
      ~KeepSize() {
        try {
          sql(dsn, "ALTER SYSTEM RESET max_slot_wal_keep_size");
          sql(dsn, "SELECT pg_reload_conf()");
        } catch (const std::exception& e) {
          WARN("could not reset max_slot_wal_keep_size: " << e.what());
        }
      }
      std::string dsn;
    } keep_size(dsn);
    const std::string status_query =
        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + options.slot + "'";
    int row = 1;
    REQUIRE(eventually([&] {
      // Fill and switch WAL segments, then checkpoint: that invalidates.
      sql(dsn, "INSERT INTO orders VALUES (" + std::to_string(row++) + "); SELECT pg_switch_wal()");
      sql(dsn, "CHECKPOINT");
      return query_value<std::string>(dsn, status_query) == "lost";
    }));
  }
  CHECK_THROWS_WITH(run_once(options, bus), Catch::Contains("was invalidated") && Catch::Contains("pub-drop"));
  pub_drop(dsn, options.slot);
}

TEST_CASE("the default bus serves meowmx::signal(...).connect as in meepo") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE api_orders (id int PRIMARY KEY, status text)");
  std::mutex mutex;
  std::vector<json> updated;
  ScopedConnection connection = meowmx::signal("api_orders_update").connect([&](const json& pk) {
    std::lock_guard lock(mutex);
    updated.push_back(pk);
  });
  auto options = options_for(dsn, {"api_orders"});
  Running pub(options, default_signal_bus());
  pub.wait_until_streaming();
  sql(dsn, "INSERT INTO api_orders VALUES (5, 'new'); UPDATE api_orders SET status = 'paid'");
  CHECK(eventually([&] {
    std::lock_guard lock(mutex);
    return updated == std::vector<json>{5};
  }));
  pub.rethrow();
}

TEST_CASE("the log sink appends each captured transaction once, with its resume point") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY, status text, doc jsonb, price numeric)");
  SignalBus bus;
  const auto options = options_for(dsn, {"orders"});
  run_once(options, bus);
  sql(dsn,
      "INSERT INTO orders VALUES (1, 'new', '{\"big\": 123456789012345678901234567890}', 300.00), (2, 'new', NULL, NULL);"
      "UPDATE orders SET status = 'paid' WHERE id = 1; UPDATE orders SET status = 'sent' WHERE id = 1");
  sql(dsn, "DELETE FROM orders WHERE id = 2");
  run_once(options, bus, make_log_sink({.dsn = dsn}));
  Client client(ClientOptions{dsn});
  const auto first = client.load("orders", "1");
  REQUIRE(first.size() == 3);
  CHECK(first[0].event_type == "orders_write");
  CHECK(first[2].event_type == "orders_update");
  CHECK(first[2].json()["after"]["status"] == "sent");
  // Values as the source sent them: every digit of a jsonb number, numeric's scale.
  CHECK_THAT(first[0].json_text, Catch::Contains("123456789012345678901234567890") && Catch::Contains("\"300.00\""));
  CHECK_THAT(first[2].metadata()["capture"].get<std::string>(), Catch::StartsWith("postgres:") &&
                                                                    Catch::EndsWith("/" + options.slot));
  const auto second = client.load("orders", "2");
  REQUIRE(second.size() == 2);
  CHECK(second[1].event_type == "orders_delete");
  // The resume point is the last transaction's, written with its events.
  const auto resume = query_value<std::string>(dsn, "SELECT position->>'commit_lsn' FROM meowmx.capture_positions");
  CHECK(query_value<std::string>(dsn, "SELECT metadata->'position'->>'lsn' FROM meowmx.events ORDER BY id DESC LIMIT 1") ==
        resume);
  // Nothing new: nothing appended again.
  run_once(options, bus, make_log_sink({.dsn = dsn}));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.events") == 5);
  pub_drop(dsn, options.slot);
}

TEST_CASE("the log sink parks a change it cannot store and delivers the next ones") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  sql(dsn, "CREATE TABLE notes (id text PRIMARY KEY, body text)");
  SignalBus bus;
  const auto options = options_for(dsn, {"notes"});
  run_once(options, bus);
  sql(dsn, "INSERT INTO notes VALUES ('before', 'a')");
  sql(dsn, "INSERT INTO notes VALUES (repeat('k', 1100), 'long key'); INSERT INTO notes VALUES ('big', repeat('x', 1100000));"
           "INSERT INTO notes VALUES ('same transaction', 'b')");
  sql(dsn, "INSERT INTO notes VALUES ('after', 'c')");
  run_once(options, bus, make_log_sink({.dsn = dsn}));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.events") == 3);
  CHECK(query_value<std::string>(dsn, "SELECT string_agg(aggregate_id::text, ',' ORDER BY id) FROM meowmx.events") ==
        "before,same transaction,after");
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.capture_dead_letters") == 2);
  CHECK(query_value<std::string>(dsn, "SELECT string_agg(reason, ' | ' ORDER BY id) FROM meowmx.capture_dead_letters")
            .find("1024") != std::string::npos);
  CHECK(query_value<int>(dsn, "SELECT min(length(change)) FROM meowmx.capture_dead_letters") > 1024);
  CHECK(pub_status(dsn, options.slot).parked_changes == 2);

  // A value the server refuses to store (jsonb has no \u0000): found by
  // trying the batch's events one at a time, parked, the others stored.
  sql(dsn, "ALTER TABLE notes ADD COLUMN doc json");
  sql(dsn, "INSERT INTO notes VALUES ('nul', 'x', '{\"a\": \"\\u0000\"}'); INSERT INTO notes VALUES ('fine', 'y', '{}')");
  run_once(options, bus, make_log_sink({.dsn = dsn}));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.events WHERE aggregate_id::text = 'fine'") == 1);
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.events WHERE aggregate_id::text = 'nul'") == 0);
  CHECK(query_value<std::string>(dsn, "SELECT reason FROM meowmx.capture_dead_letters WHERE key = 'nul'")
            .find("the server refused it") != std::string::npos);
  CHECK(pub_status(dsn, options.slot).parked_changes == 3);

  sql(dsn, "INSERT INTO notes VALUES (repeat('z', 1100), 'long key again')");
  CHECK_THROWS_WITH(run_once(options, bus, make_log_sink({.dsn = dsn, .on_unstorable = OnUnstorable::kStop})),
                    Catch::Contains("cannot store notes_write") && Catch::Contains("1024"));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.capture_dead_letters") == 3);
  pub_drop(dsn, options.slot);
}

TEST_CASE("the log sink needs a store with text aggregate ids") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kUuid});
  CHECK_THROWS_WITH(make_log_sink({.dsn = dsn}), Catch::Contains("--aggregate-id-type text"));
}

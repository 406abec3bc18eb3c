// The Replicator through the C++ API against a real PostgreSQL: per-pk order
// through the in-process capture input with 8 workers (the same worker for a
// pk after a stop under a writer and a restart, nothing handled coming
// again, nothing pending after a clean stop), the subscription input checkpointing only what
// the workers finished and parking into meowmx.replicator_parked, and the
// zmq input reading meepo frames from a real socket on 127.0.0.1.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <pqxx/pqxx>
#include <zmq.hpp>

#include "meowmx/meowmx.h"
#include "replicator/routing.h"
#include "support/polling.h"
#include "support/servers/server_process.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using testing::query_value;
using testing::sql;

std::string unique_slot() {
  static std::atomic<int> counter{0};
  return "replicate_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// A Replicator on a thread of its own; stopped and joined when destroyed.
class RunningReplicator {
 public:
  explicit RunningReplicator(Replicator& replicator) : replicator_(replicator) {
    thread_ = std::thread([this] {
      try {
        replicator_.run();
      } catch (...) {
        error_ = std::current_exception();
      }
      finished_ = true;
    });
  }
  ~RunningReplicator() {
    replicator_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void stop() {
    replicator_.stop();
    thread_.join();
    if (error_) std::rethrow_exception(error_);
  }
  // For awaited conditions: a replicator that gave up fails the test with its reason.
  void rethrow_if_failed() const {
    if (finished_ && error_) std::rethrow_exception(error_);
  }

 private:
  Replicator& replicator_;
  std::exception_ptr error_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

// A change's position, {"lsn":"0/16B3780","index":3,"xid":734}: its place
// in commit order as a comparable pair, and its transaction.
struct ChangePlace {
  std::pair<std::uint64_t, std::int64_t> place;
  std::int64_t xid = 0;
};

ChangePlace change_place(const std::string& position) {
  const json parsed = json::parse(position);
  const std::string lsn = parsed.at("lsn");
  const auto slash = lsn.find('/');
  const std::uint64_t value = (std::stoull(lsn.substr(0, slash), nullptr, 16) << 32) |
                              std::stoull(lsn.substr(slash + 1), nullptr, 16);
  return {{value, parsed.at("index").get<std::int64_t>()}, parsed.at("xid").get<std::int64_t>()};
}

// What the action saw of each pk: its worker, its latest change's place and
// transaction, and the row's version read when it was handled.
class OrderChecker {
 public:
  explicit OrderChecker(std::string dsn) : dsn_(std::move(dsn)) {}

  std::vector<bool> handle(const PkBatch& batch) {
    std::string ids = "{";
    for (const auto& pk : batch.pks) ids += (ids.size() > 1 ? "," : "") + pk;
    ids += "}";
    pqxx::connection& connection = connection_of(batch.worker);
    std::map<std::string, std::int64_t> versions;
    {
      pqxx::read_transaction tx(connection);
      for (const auto& row : tx.exec_params("SELECT id::text, version FROM hot WHERE id = ANY($1::int[])", ids)) {
        versions[row[0].c_str()] = row[1].as<std::int64_t>();
      }
    }
    std::lock_guard lock(mutex_);
    std::set<std::string> in_batch;
    for (std::size_t i = 0; i < batch.pks.size(); ++i) {
      const std::string& pk = batch.pks[i];
      if (!in_batch.insert(pk).second) ++violations_;  // a batch never holds a pk twice
      Seen& seen = seen_[pk];
      if (seen.worker >= 0 && seen.worker != batch.worker) ++violations_;
      if (batch.worker != internal::jump_consistent_hash(internal::fnv1a_64(pk), 8)) ++violations_;
      const auto [place, xid] = change_place(batch.positions[i]);
      if (place < seen.place || (place == seen.place && seen.run == run_)) ++violations_;
      if (versions.at(pk) < seen.version) ++violations_;
      seen = {batch.worker, place, xid, versions.at(pk), run_};
      ++handled_;
    }
    return std::vector<bool>(batch.pks.size(), true);
  }

  // Whether every pk was handled at its last change, by the transaction
  // that wrote its row (not by the version read then: a commit can be
  // decoded an instant before new snapshots see it).
  bool caught_up(const std::map<std::string, std::int64_t>& last_writers) const {
    std::lock_guard lock(mutex_);
    for (const auto& [pk, xid] : last_writers) {
      const auto it = seen_.find(pk);
      if (it == seen_.end() || it->second.xid != xid) return false;
    }
    return true;
  }
  void next_run() {
    std::lock_guard lock(mutex_);
    ++run_;
    connections_.clear();
  }
  int violations() const {
    std::lock_guard lock(mutex_);
    return violations_;
  }
  std::size_t handled() const {
    std::lock_guard lock(mutex_);
    return handled_;
  }

 private:
  struct Seen {
    int worker = -1;
    std::pair<std::uint64_t, std::int64_t> place{0, -1};
    std::int64_t xid = 0;
    std::int64_t version = -1;
    int run = -1;
  };
  pqxx::connection& connection_of(int worker) {
    std::lock_guard lock(mutex_);
    auto& connection = connections_[worker];
    if (!connection) connection = std::make_unique<pqxx::connection>(dsn_);
    return *connection;
  }

  std::string dsn_;
  mutable std::mutex mutex_;
  std::map<int, std::unique_ptr<pqxx::connection>> connections_;  // each used by its worker's thread
  std::map<std::string, Seen> seen_;
  int run_ = 0;
  int violations_ = 0;
  std::size_t handled_ = 0;
};

// The transaction that last wrote each row, by pk.
std::map<std::string, std::int64_t> last_writers_of(const std::string& dsn) {
  pqxx::connection connection(dsn);
  pqxx::read_transaction tx(connection);
  std::map<std::string, std::int64_t> last_writers;
  for (const auto& row : tx.exec("SELECT id::text, xmin::text::bigint FROM hot")) {
    last_writers[row[0].c_str()] = row[1].as<std::int64_t>();
  }
  return last_writers;
}

// `transactions` transactions of 100 updates each, of distinct random pks.
void write_hot(const std::string& dsn, int transactions) {
  sql(dsn, "DO $$ BEGIN FOR i IN 1.." + std::to_string(transactions) +
               " LOOP UPDATE hot SET version = version + 1 WHERE id IN (SELECT id FROM hot ORDER BY random() LIMIT 100);"
               " COMMIT; END LOOP; END $$");
}

// How a round ends: once every change is handled, or while its writer is
// still at work (SIGTERM under a writer).
enum class HotStop { kCaughtUp, kMidway };

void run_hot_round(const std::string& dsn, const std::string& slot, OrderChecker& checker, int transactions,
                   HotStop stop) {
  CaptureInput input;
  PostgresSource source;
  source.dsn = dsn;
  source.tables = {"hot"};
  source.slot = slot;
  source.status_interval = 200ms;
  input.source = source;
  Replicator replicator({.input = input, .parked_file = {}, .status_interval = 0ms});
  replicator.on_batch("hot_update", {.workers = 8, .batch = 50},
                      [&](const PkBatch& batch) { return checker.handle(batch); });
  RunningReplicator running(replicator);
  testing::wait_until("the slot exists", 30s, [&] {
    running.rethrow_if_failed();
    return query_value<int>(dsn, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'") == 1;
  });
  if (stop == HotStop::kCaughtUp) {
    write_hot(dsn, transactions);
    const auto last_writers = last_writers_of(dsn);
    testing::wait_until("every pk is handled at its last change", 120s, [&] {
      running.rethrow_if_failed();
      return checker.caught_up(last_writers);
    });
    running.stop();
  } else {
    auto writer = std::async(std::launch::async, [&] { write_hot(dsn, transactions); });
    const std::size_t handled_before = checker.handled();
    testing::wait_until("a thousand pks are handled", 120s, [&] {
      running.rethrow_if_failed();
      return checker.handled() >= handled_before + 1000;
    });
    running.stop();
    writer.get();
  }
  const ReplicatorStatus status = replicator.status();
  REQUIRE(status.workers.size() == 8);
  for (const auto& worker : status.workers) {
    CHECK(worker.queued == 0);
    CHECK(worker.parked == 0);
    CHECK(worker.done > 0);
  }
  REQUIRE_FALSE(status.acknowledged.empty());
  // run() returned once the server had taken the last acknowledgement, also
  // when it was still sending: nothing handled comes again.
  const std::string acknowledged = json::parse(status.acknowledged).at("lsn");
  CHECK(query_value<bool>(dsn, "SELECT confirmed_flush_lsn >= '" + acknowledged +
                                   "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'"));
  checker.next_run();
}

}  // namespace

TEST_CASE("per-pk order: 8 workers, 50,000 changes over 1,000 hot pks, each pk on its jump-hash worker across restarts") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE hot (id int PRIMARY KEY, version bigint NOT NULL);"
           "INSERT INTO hot SELECT g, 0 FROM generate_series(1, 1000) g");
  const auto slot = unique_slot();
  OrderChecker checker(dsn);
  run_hot_round(dsn, slot, checker, 500, HotStop::kMidway);  // 50,000 changes
  CHECK(checker.handled() <= 50000);  // folded and batched, never more than the changes
  // After a restart: the rest of the first round and 5,000 more changes, on
  // the same workers, in order.
  run_hot_round(dsn, slot, checker, 50, HotStop::kCaughtUp);
  CHECK(checker.violations() == 0);
  // Everything was acknowledged at the clean stop: no change of the table
  // waits in the slot (WAL written since, autovacuum's say, holds none).
  testing::wait_until("the stopped stream lets go of the slot", 30s, [&] { return !pub_status(dsn, slot).active; });
  CHECK(pub_status(dsn, slot).changes_pending == false);
  pub_drop(dsn, slot);  // waits for the stopped stream's server process to let go of the slot
}

TEST_CASE("the subscription input checkpoints what the workers finished and parks what keeps failing") {
  const auto dsn = testing::fresh_database({.setup = true, .aggregate_id_type = AggregateIdType::kText});
  Client client({.dsn = dsn});
  for (int i = 0; i < 20; ++i) {
    std::vector<NewEvent> events;
    for (int j = 0; j < 10; ++j) events.push_back({.event_type = "order_changed", .json = json{{"n", j}}});
    client.save("order", "o" + std::to_string(i), events, ExpectedVersion::any());
  }
  std::mutex mutex;
  std::map<std::string, std::set<std::string>> seen;  // pk -> positions
  SubscriptionInput input;
  input.dsn = dsn;
  input.name = "replicate_orders";
  input.categories = {"order"};
  input.batch_size = 37;
  Replicator replicator({.input = input, .parked_file = {}, .status_interval = 0ms});
  TopicOptions options{.workers = 3, .batch = 5, .queue_limit = 100, .max_attempts = 2,
                       .initial_backoff = 1ms, .max_backoff = 5ms, .hash = PkHash::kKetama};
  replicator.on_batch("order_*", options, [&](const PkBatch& batch) {
    std::lock_guard lock(mutex);
    std::vector<bool> succeeded;
    for (std::size_t i = 0; i < batch.pks.size(); ++i) {
      seen[batch.pks[i]].insert(batch.positions[i]);
      succeeded.push_back(batch.pks[i] != "o7");
    }
    return succeeded;
  });
  RunningReplicator running(replicator);
  const std::string last = query_value(dsn, "SELECT tx_id::text || ':' || id FROM meowmx.events ORDER BY tx_id DESC, id DESC LIMIT 1");
  testing::wait_until("the last batch is acknowledged", 60s, [&] {
    running.rethrow_if_failed();
    return replicator.status().acknowledged == last;
  });
  running.stop();
  CHECK(seen.size() == 20);
  std::uint64_t parked = 0;
  for (const auto& worker : replicator.status().workers) parked += worker.parked;
  CHECK(parked >= 1);
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.replicator_parked WHERE pk = 'o7' AND attempts = 2 "
                              "AND input = 'subscription replicate_orders' AND topic = 'order_*'") == static_cast<int>(parked));
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM meowmx.replicator_parked WHERE pk <> 'o7'") == 0);
  // The subscription's checkpoint is where the replicator acknowledged.
  CHECK(query_value(dsn, "SELECT checkpoint FROM meowmx.subscription_status WHERE name = 'replicate_orders'") == last);
}

TEST_CASE("the zmq input reads meepo frames, spaces in pks included, and skips what is not one") {
  const int port = testing::free_loopback_port();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  zmq::context_t context;
  zmq::socket_t publisher(context, zmq::socket_type::pub);
  publisher.bind(endpoint);
  std::mutex mutex;
  std::vector<std::string> handled;
  Replicator replicator({.input = ZmqInput{.connect = {endpoint}}, .parked_file = {}, .status_interval = 0ms});
  // The zmq input has no database: without a parked-pks file it refuses to run.
  replicator.on("orders_update", {}, [&](const std::vector<std::string>& pks) {
    std::lock_guard lock(mutex);
    handled.insert(handled.end(), pks.begin(), pks.end());
    return std::vector<bool>(pks.size(), true);
  });
  CHECK_THROWS_AS(replicator.run(), InvalidArgument);

  const auto parked = std::filesystem::temp_directory_path() / ("replicate_zmq_" + std::to_string(getpid()) + ".jsonl");
  Replicator with_file({.input = ZmqInput{.connect = {endpoint}}, .parked_file = parked, .status_interval = 0ms});
  with_file.on("orders_update", {}, [&](const std::vector<std::string>& pks) {
    std::lock_guard lock(mutex);
    handled.insert(handled.end(), pks.begin(), pks.end());
    return std::vector<bool>(pks.size(), true);
  });
  RunningReplicator running(with_file);
  // PUB drops what is sent before the subscriber joined: knock until it answers.
  testing::wait_until("the subscriber is connected", 20s, [&] {
    publisher.send(zmq::str_buffer("orders_update ping"), zmq::send_flags::none);
    std::lock_guard lock(mutex);
    return !handled.empty();
  });
  for (const char* message : {"orders_update 42", "orders_update a b", "users_update 1", "garbage",
                              "orders_update [1,\"x y\"]", "orders_update end"}) {
    publisher.send(zmq::buffer(std::string(message)), zmq::send_flags::none);
  }
  testing::wait_until("the last message is handled", 20s, [&] {
    std::lock_guard lock(mutex);
    return !handled.empty() && handled.back() == "end";
  });
  running.stop();
  std::vector<std::string> after_ping;
  for (const auto& pk : handled) {
    if (pk != "ping") after_ping.push_back(pk);
  }
  CHECK(after_ping == std::vector<std::string>{"42", "a b", "[1,\"x y\"]", "end"});
  std::filesystem::remove(parked);
}

// Subscriptions with other sessions around: a long transaction holds delivery
// back (status says so and names it) and nothing is skipped once it ends;
// two workers of one subscription deliver each event once and one carries on
// when the other stops; consumer group members split the aggregates; NOTIFY
// wakes an idle worker long before its poll would, whether it listens on its
// own session or through the process's shared listener.
//
// Workers that run until stopped live on their own thread with their own
// Client; their errors are rethrown on the test's thread, where every
// assertion runs. Waits poll observable state with a deadline.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/polling.h"
#include "support/test_cluster.h"
#include "support/worker_thread.h"

using namespace meowmx;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

using testing::connect;
using testing::ids;
using testing::numbered_events;
using testing::text_database;
using testing::wait_until;
using testing::WorkerThread;
using testing::write_in_open_transaction;

// How many sessions named `application_name` have been idle for over `seconds`.
int sessions_idle_for(pqxx::connection_base& probe, const std::string& application_name, int seconds) {
  pqxx::nontransaction tx(probe);
  return tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                         " AND application_name = $1 AND state = 'idle'"
                         " AND now() - state_change > make_interval(secs => $2)",
                         application_name, seconds)[0]
      .as<int>();
}

SubscriptionOptions until_caught_up() {
  SubscriptionOptions options;
  options.stop_when_caught_up = true;
  options.max_sleep = 100ms;
  return options;
}

// For a worker that runs until stopped: it polls every max_sleep (or
// somewhat sooner) when no notification comes.
SubscriptionOptions live(std::chrono::milliseconds max_sleep) {
  SubscriptionOptions options = until_caught_up();
  options.stop_when_caught_up = false;
  options.max_sleep = max_sleep;
  return options;
}

std::vector<RecordedEvent> run(Client& client, const std::string& name, SubscriptionOptions options = until_caught_up()) {
  std::vector<RecordedEvent> out;
  client.subscribe(name, options, [&](const std::vector<RecordedEvent>& batch, pqxx::work&) {
    out.insert(out.end(), batch.begin(), batch.end());
  });
  return out;
}

std::vector<std::string> types_of(const std::vector<RecordedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.aggregate_type);
  return out;
}

std::vector<std::int64_t> log_ids(pqxx::connection_base& connection) {
  pqxx::nontransaction tx(connection);
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec("SELECT id FROM meowmx.events ORDER BY tx_id, id")) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

SubscriptionStatus status_of(Client& client, const std::string& name, int member = 0) {
  for (auto& s : client.subscription_status()) {
    if (s.name == name && s.group_member == member) return s;
  }
  FAIL("no status row for subscription " << name << " member " << member);
  return {};
}

// A read model with the worker that wrote each row and the order of writing.
void create_read_model(pqxx::connection_base& connection) {
  pqxx::nontransaction tx(connection);
  tx.exec0(
      "CREATE TABLE read_model (event_id bigint PRIMARY KEY, aggregate_id text NOT NULL,"
      " worker text NOT NULL, seq bigserial)");
}

BatchHandler read_model_writer(const std::string& worker) {
  return for_each_event([worker](const RecordedEvent& event, pqxx::work& tx) {
    tx.exec_params0("INSERT INTO read_model (event_id, aggregate_id, worker) VALUES ($1, $2, $3)", event.id,
                    event.aggregate_id, worker);
  });
}

std::int64_t read_model_count(pqxx::connection_base& connection) {
  pqxx::nontransaction tx(connection);
  return tx.exec1("SELECT count(*) FROM read_model")[0].as<std::int64_t>();
}

std::vector<std::int64_t> read_model_ids(pqxx::connection_base& connection) {
  pqxx::nontransaction tx(connection);
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec("SELECT event_id FROM read_model ORDER BY seq")) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

// The server's clock, to compare with pg_stat_activity timestamps.
std::string server_now(pqxx::connection_base& connection) {
  pqxx::nontransaction tx(connection);
  return tx.exec1("SELECT clock_timestamp()::text")[0].as<std::string>();
}

// Waits until the session named `application_name` has run `rounds` rounds
// that began after `since`, by the start times of its statements seen while
// it was idle: an idle worker's round runs four in a row (BEGIN, the page
// read, COMMIT, a look at the checkpoint), of which a look sees one or two.
void wait_for_worker_rounds(pqxx::connection_base& probe, const std::string& application_name,
                            const std::string& since, int rounds) {
  std::set<std::string> seen;
  wait_until("the worker ran " + std::to_string(rounds) + " more rounds", 20s, [&] {
    pqxx::nontransaction tx(probe);
    const auto rows = tx.exec_params(
        "SELECT query_start::text FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'"
        " AND query_start > $2::timestamptz",
        application_name, since);
    for (const auto& row : rows) seen.insert(row[0].as<std::string>());
    return static_cast<int>(seen.size()) >= 2 * rounds + 1;  // the first may have begun before `since`
  });
}

}  // namespace

TEST_CASE("an open transaction holds delivery back; once it ends every event comes, in (tx_id, id) order") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  pqxx::connection holder(dsn);  // hosts the long transaction
  const auto early = writer.save("early", "e1", numbered_events(2), 0);
  REQUIRE(ids(run(worker, "gap-free")) == ids(early));

  SECTION("a transaction that took its id first and commits last") {
    pqxx::work held(holder);
    held.exec("SELECT pg_current_xact_id()");
    const auto later = writer.save("later", "l1", numbered_events(3), 0);  // committed, newer id
    write_in_open_transaction(held, "held", "h1", 2);

    CHECK(run(worker, "gap-free").empty());
    const auto status = status_of(writer, "gap-free");
    CHECK(status.events_behind == 3);  // the held events are not committed: not counted
    CHECK(status.held_back == 3);
    const auto holders = writer.horizon_holders();
    REQUIRE_FALSE(holders.empty());
    CHECK(holders.front().pid == holder.backendpid());
    CHECK(holders.front().age_seconds >= 0);
    CHECK(holders.front().state.find("idle in transaction") == 0);

    held.commit();
    const auto rest = run(worker, "gap-free");
    CHECK(types_of(rest) == std::vector<std::string>{"held", "held", "later", "later", "later"});
    auto all = early;
    all.insert(all.end(), rest.begin(), rest.end());
    CHECK(ids(all) == log_ids(holder));
    const auto after = status_of(writer, "gap-free");
    CHECK(after.held_back == 0);
    CHECK(after.events_behind == 0);
    CHECK(after.delivered == 7);
  }

  SECTION("a transaction that began first but writes after a later commit") {
    pqxx::work held(holder);
    held.exec("SELECT 1");  // open, but no transaction id yet
    const auto later = writer.save("later", "l1", numbered_events(3), 0);
    write_in_open_transaction(held, "held", "h1", 2);  // its id is now above the later commit's

    CHECK(ids(run(worker, "gap-free")) == ids(later));  // sorts before the held writes: deliverable
    CHECK(status_of(writer, "gap-free").held_back == 0);
    held.commit();
    const auto rest = run(worker, "gap-free");
    CHECK(types_of(rest) == std::vector<std::string>{"held", "held"});
    CHECK(run(worker, "gap-free").empty());
  }

  SECTION("a transaction that holds an id but writes no event holds delivery back too") {
    pqxx::work held(holder);
    held.exec("SELECT pg_current_xact_id()");
    const auto later = writer.save("later", "l1", numbered_events(3), 0);
    CHECK(run(worker, "gap-free").empty());
    CHECK(status_of(writer, "gap-free").held_back == 3);
    CHECK(writer.horizon_holders().at(0).pid == holder.backendpid());
    held.commit();
    CHECK(ids(run(worker, "gap-free")) == ids(later));
  }

  SECTION("events of a transaction that rolls back are never delivered") {
    {
      pqxx::work held(holder);
      write_in_open_transaction(held, "held", "h1", 2);
      writer.save("later", "l1", numbered_events(3), 0);
      CHECK(run(worker, "gap-free").empty());
      CHECK(status_of(writer, "gap-free").held_back == 3);
      held.abort();
    }
    const auto rest = run(worker, "gap-free");
    CHECK(types_of(rest) == std::vector<std::string>(3, "later"));
    CHECK(run(worker, "gap-free").empty());
    CHECK(status_of(writer, "gap-free").events_behind == 0);
  }
}

TEST_CASE("a running worker waits behind an open transaction, then delivers everything in order") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  create_read_model(probe);
  auto options = live(50ms);
  options.batch_size = 3;
  WorkerThread worker(dsn, "live", options, read_model_writer("w"), "live-worker");

  writer.save("early", "e1", numbered_events(2), 0);
  wait_until("the early events are delivered", 10s, [&] { return read_model_count(probe) == 2; });

  pqxx::connection holder(dsn);
  pqxx::work held(holder);
  held.exec("SELECT pg_current_xact_id()");
  writer.save("later", "l1", numbered_events(3), 0);
  writer.save("later", "l2", numbered_events(2), 0);
  write_in_open_transaction(held, "held", "h1", 2);
  wait_until("status shows the later events held back", 10s,
             [&] { return status_of(writer, "live").held_back == 5; });
  CHECK(writer.horizon_holders().at(0).pid == holder.backendpid());

  // The worker polls every 50 ms; after several rounds it still must not
  // have delivered anything past the open transaction.
  wait_for_worker_rounds(probe, "live-worker", server_now(probe), 3);
  worker.check_running();
  CHECK(read_model_count(probe) == 2);

  held.commit();
  wait_until("everything is delivered", 10s, [&] { return read_model_count(probe) == 9; });
  worker.stop();
  CHECK(read_model_ids(probe) == log_ids(probe));
  pqxx::nontransaction tx(probe);
  const auto order = tx.exec("SELECT aggregate_id FROM read_model ORDER BY seq");
  std::vector<std::string> aggregates;
  for (const auto& row : order) aggregates.push_back(row[0].as<std::string>());
  CHECK(aggregates == std::vector<std::string>{"e1", "e1", "h1", "h1", "l1", "l1", "l1", "l2", "l2"});
}

TEST_CASE("two workers of one subscription deliver every event once; when one stops the other carries on") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  create_read_model(probe);
  auto options = live(100ms);
  options.batch_size = 3;
  // A duplicate would violate the read model's primary key: the handler
  // would fail, and with one attempt the worker would stop with HandlerFailed.
  options.retry.max_attempts = 1;
  WorkerThread a(dsn, "shared", options, read_model_writer("a"));
  WorkerThread b(dsn, "shared", options, read_model_writer("b"));

  int saved = 0;
  for (int i = 0; i < 40; ++i) {
    const int count = 1 + i % 3;
    writer.save("order", "o" + std::to_string(i % 7), numbered_events(count), ExpectedVersion::any());
    saved += count;
    if (i % 10 == 9) std::this_thread::sleep_for(20ms);  // spread the writes over a few worker rounds
  }
  wait_until("all events are delivered", 20s, [&] {
    a.check_running();
    b.check_running();
    return read_model_count(probe) == saved;
  });

  a.stop();
  int more = 0;
  for (int i = 0; i < 10; ++i) {
    writer.save("invoice", "i" + std::to_string(i), numbered_events(2), 0);
    more += 2;
  }
  wait_until("worker b delivers what came after a stopped", 20s, [&] {
    b.check_running();
    return read_model_count(probe) == saved + more;
  });
  b.stop();

  CHECK(read_model_ids(probe) == log_ids(probe));
  pqxx::nontransaction tx(probe);
  CHECK(tx.exec1("SELECT count(*) FROM read_model WHERE aggregate_id LIKE 'i%' AND worker <> 'b'")[0].as<int>() == 0);
  const auto status = status_of(writer, "shared");
  CHECK(status.delivered == saved + more);
  CHECK(status.events_behind == 0);
}

TEST_CASE("consumer group members split the aggregates between them and deliver each event once") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  {
    pqxx::nontransaction tx(probe);
    tx.exec0(
        "CREATE TABLE read_model (event_id bigint PRIMARY KEY, aggregate_id text NOT NULL,"
        " member integer NOT NULL, seq bigserial)");
  }
  int saved = 0;
  for (int i = 0; i < 30; ++i) {
    writer.save(i % 2 ? "order" : "invoice", "agg-" + std::to_string(i), numbered_events(1 + i % 3), 0);
    saved += 1 + i % 3;
  }

  auto run_members = [&](int size) {
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size));
    {
      std::vector<std::jthread> members;
      for (int m = 0; m < size; ++m) {
        members.emplace_back([&, m] {
          try {
            Client client = connect(dsn);
            auto options = until_caught_up();
            options.group_member = m;
            options.group_size = size;
            options.batch_size = 4;
            client.subscribe("grouped", options, for_each_event([m](const RecordedEvent& event, pqxx::work& tx) {
                               tx.exec_params0(
                                   "INSERT INTO read_model (event_id, aggregate_id, member) VALUES ($1, $2, $3)",
                                   event.id, event.aggregate_id, m);
                             }));
          } catch (...) {
            errors[static_cast<std::size_t>(m)] = std::current_exception();
          }
        });
      }
    }
    for (const auto& error : errors) {
      if (error) std::rethrow_exception(error);
    }
  };
  run_members(3);

  pqxx::connection checker(dsn);
  pqxx::nontransaction tx(checker);
  CHECK(read_model_count(probe) == saved);
  CHECK(tx.exec1("SELECT count(*) FROM meowmx.events e LEFT JOIN read_model r ON r.event_id = e.id"
                 " WHERE r.event_id IS NULL")[0].as<int>() == 0);
  // Each aggregate went to one member only: the one its id hashes to.
  CHECK(tx.exec1("SELECT count(*) FROM (SELECT aggregate_id FROM read_model GROUP BY aggregate_id"
                 " HAVING count(DISTINCT member) > 1) x")[0].as<int>() == 0);
  CHECK(tx.exec1("SELECT count(*) FROM read_model WHERE member <> meowmx.group_member_of(aggregate_id, 3)")[0]
            .as<int>() == 0);
  CHECK(tx.exec1("SELECT count(DISTINCT member) FROM read_model")[0].as<int>() == 3);
  // Each member delivered its share in (tx_id, id) order.
  CHECK(tx.exec1("SELECT count(*) FROM (SELECT r.member, e.tx_id, e.id, lag(e.tx_id) OVER w AS prev_tx,"
                 " lag(e.id) OVER w AS prev_id FROM read_model r JOIN meowmx.events e ON e.id = r.event_id"
                 " WINDOW w AS (PARTITION BY r.member ORDER BY r.seq)) x"
                 " WHERE (prev_tx, prev_id) >= (tx_id, id)")[0].as<int>() == 0);
  std::int64_t delivered = 0;
  int members = 0;
  for (const auto& s : writer.subscription_status()) {
    if (s.name != "grouped") continue;
    ++members;
    CHECK(s.group_size == 3);
    CHECK(s.events_behind == 0);
    delivered += s.delivered;
  }
  CHECK(members == 3);
  CHECK(delivered == saved);

  SECTION("later events go to the right members too") {
    for (int i = 0; i < 30; ++i) writer.save("order", "new-" + std::to_string(i), numbered_events(1), 0);
    run_members(3);
    CHECK(read_model_count(probe) == saved + 30);
    CHECK(tx.exec1("SELECT count(*) FROM read_model WHERE member <> meowmx.group_member_of(aggregate_id, 3)")[0]
              .as<int>() == 0);
  }

  SECTION("a worker asking for another group size is an InvalidArgument, and changes nothing") {
    Client client = connect(dsn);
    auto options = until_caught_up();
    options.group_size = 2;
    options.group_member = 0;
    CHECK_THROWS_AS(run(client, "grouped", options), InvalidArgument);
    options.group_size = 4;
    options.group_member = 3;  // a member row that does not exist yet
    CHECK_THROWS_AS(run(client, "grouped", options), InvalidArgument);
    options.group_size = 1;
    options.group_member = 0;
    CHECK_THROWS_AS(run(client, "grouped", options), InvalidArgument);
    CHECK(tx.exec1("SELECT count(*) FROM meowmx.subscriptions WHERE name = 'grouped'")[0].as<int>() == 3);
    CHECK(tx.exec1("SELECT count(DISTINCT group_size) FROM meowmx.subscriptions")[0].as<int>() == 1);
  }

  SECTION("a member outside [0, group size) is an InvalidArgument") {
    Client client = connect(dsn);
    auto options = until_caught_up();
    options.group_size = 3;
    options.group_member = 3;
    CHECK_THROWS_AS(run(client, "grouped", options), InvalidArgument);
    options.group_member = -1;
    CHECK_THROWS_AS(run(client, "grouped", options), InvalidArgument);
    options.group_size = 0;
    options.group_member = 0;
    CHECK_THROWS_AS(run(client, "other", options), InvalidArgument);
  }
}

TEST_CASE("a NOTIFY from a writing transaction wakes an idle worker long before max_sleep") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  create_read_model(probe);
  auto options = live(10s);
  WorkerThread worker(dsn, "wake-up", options, read_model_writer("w"), "wake-up-worker");

  writer.save("order", "o1", numbered_events(1), 0);
  wait_until("the first event is delivered", 10s, [&] { return read_model_count(probe) == 1; });

  // An idle worker polls every max_sleep (10 s). Once the worker's session
  // has been idle for over 3 s it sits in a poll of 10 s, so only the
  // notification can deliver the next event within 2 s.
  wait_until("the worker has been idle for over 3 s", 30s, [&] {
    worker.check_running();
    return sessions_idle_for(probe, "wake-up-worker", 3) == 1;
  });
  const auto committed = std::chrono::steady_clock::now();
  writer.save("order", "o2", numbered_events(1), 0);
  wait_until("the second event is delivered", 15s, [&] { return read_model_count(probe) == 2; });
  const auto latency = std::chrono::steady_clock::now() - committed;
  CHECK(latency < 2s);
  INFO("wake-up latency " << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() << " ms");
  worker.stop();
}

TEST_CASE("a process's only worker listens on its own session; a second starts the shared listener, and both wake long before max_sleep") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  auto options = live(10s);
  // The workers' sessions and the shared listener's all carry this name.
  const auto sessions = [&] {
    pqxx::nontransaction tx(probe);
    return tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = 'census-worker'")[0]
        .as<int>();
  };
  std::atomic<int> first_delivered{0};
  std::atomic<int> second_delivered{0};
  // Whether the worker's own session LISTENed when it handled its last batch.
  std::atomic<bool> first_listens{false};
  std::atomic<bool> second_listens{false};
  const auto counter = [](std::atomic<int>& delivered, std::atomic<bool>& listens) -> BatchHandler {
    return [&delivered, &listens](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
      listens = !tx.exec("SELECT pg_listening_channels()").empty();
      delivered += static_cast<int>(batch.size());
    };
  };
  // Saves one event once every session has been idle for over 3 s: each
  // worker then sits in a poll of 10 s, so only a notification delivers the
  // event to it within 2 s.
  const auto save_to_idle_workers = [&](const std::string& aggregate_id, const std::function<bool()>& delivered) {
    wait_until("the sessions have been idle for over 3 s", 30s, [&] {
      return sessions_idle_for(probe, "census-worker", 3) == sessions();
    });
    const auto committed = std::chrono::steady_clock::now();
    writer.save("order", aggregate_id, numbered_events(1), 0);
    wait_until("every worker delivered " + aggregate_id, 15s, delivered);
    const auto latency = std::chrono::steady_clock::now() - committed;
    INFO("wake-up latency " << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() << " ms");
    CHECK(latency < 2s);
  };

  WorkerThread first(dsn, "first", options, counter(first_delivered, first_listens), "census-worker");
  writer.save("order", "o1", numbered_events(1), 0);
  wait_until("the first worker delivered o1", 10s, [&] { return first_delivered == 1; });
  CHECK(sessions() == 1);  // the worker's own: no listening connection beside it
  save_to_idle_workers("o2", [&] { return first_delivered == 2; });
  CHECK(first_listens);

  WorkerThread second(dsn, "second", options, counter(second_delivered, second_listens), "census-worker");
  wait_until("the second worker caught up", 10s, [&] { return second_delivered == 2; });
  wait_until("two workers and the shared listener are connected", 10s, [&] { return sessions() == 3; });
  // The second woke the first, which moved to the shared listener: both are
  // woken through it.
  save_to_idle_workers("o3", [&] { return first_delivered == 3 && second_delivered == 3; });
  CHECK_FALSE(first_listens);
  CHECK_FALSE(second_listens);
  first.stop();
  second.stop();
}

TEST_CASE("a worker listening on its own session sleeps on through notifications of other categories") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  auto options = live(10s);
  options.categories = {"order"};
  std::atomic<int> delivered{0};
  WorkerThread worker(dsn, "orders-only", options,
                      [&](const std::vector<RecordedEvent>& batch, pqxx::work&) {
                        delivered += static_cast<int>(batch.size());
                      },
                      "orders-only");
  // When the worker's session last ran a statement, in ms ago.
  const auto idle_ms = [&] {
    pqxx::nontransaction tx(probe);
    return tx.exec1("SELECT (extract(epoch FROM now() - state_change) * 1000)::bigint FROM pg_stat_activity"
                    " WHERE application_name = 'orders-only' AND state = 'idle'")[0]
        .as<std::int64_t>();
  };
  wait_until("the worker has been idle for over 1 s", 20s, [&] {
    worker.check_running();
    return sessions_idle_for(probe, "orders-only", 1) == 1;
  });
  const std::int64_t idle_before = idle_ms();
  for (int i = 0; i < 20; ++i) writer.save("invoice", "i" + std::to_string(i), numbered_events(1), 0);
  std::this_thread::sleep_for(500ms);  // no condition to await: the check is that nothing happens
  // No round ran for them: the session stayed idle since before the saves.
  CHECK(idle_ms() >= idle_before + 500);
  writer.save("order", "o1", numbered_events(1), 0);
  wait_until("the order event is delivered", 5s, [&] { return delivered == 1; });
  worker.stop();
}

TEST_CASE("under contention on one aggregate, (tx_id, id) order keeps each aggregate's versions in order") {
  // Saves to one aggregate are serialised by its row lock; a subscription
  // delivers in (tx_id, id) order, so a projection sees version n + 1 after
  // version n only if the transaction that wrote n + 1 has the larger id.
  const std::string dsn = text_database();
  constexpr int kThreads = 8;
  constexpr int kSaves = 40;
  std::vector<std::exception_ptr> errors(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        try {
          Client client = connect(dsn);
          for (int i = 0; i < kSaves; ++i) client.save("hot", "h1", numbered_events(1 + i % 2), ExpectedVersion::any());
        } catch (...) {
          errors[static_cast<std::size_t>(t)] = std::current_exception();
        }
      });
    }
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  // The store: in (tx_id, id) order, the aggregate's versions must count up.
  pqxx::connection probe(dsn);
  {
    pqxx::nontransaction tx(probe);
    const auto rows = tx.exec(
        "SELECT count(*) FROM (SELECT version, row_number() OVER (ORDER BY tx_id, id) - 1 AS position"
        " FROM meowmx.events) x WHERE version <> position");
    const auto example = tx.exec(
        "SELECT version, tx_id::text, id, position FROM (SELECT version, tx_id, id,"
        " row_number() OVER (ORDER BY tx_id, id) - 1 AS position FROM meowmx.events) x"
        " WHERE version <> position ORDER BY position LIMIT 1");
    INFO("in (tx_id, id) order, " << rows[0][0].as<int>() << " events are not at their version's place"
         << (example.empty() ? std::string()
                             : "; first: version " + example[0][0].as<std::string>() + " (tx " +
                                   example[0][1].as<std::string>() + ", id " + example[0][2].as<std::string>() +
                                   ") at place " + example[0][3].as<std::string>()));
    CHECK(rows[0][0].as<int>() == 0);
  }
  Client worker = connect(dsn);
  const auto delivered = run(worker, "versions");
  REQUIRE(delivered.size() == static_cast<std::size_t>(kThreads * (kSaves / 2) * 3));
  std::vector<std::string> out_of_order;
  for (std::size_t i = 0; i < delivered.size(); ++i) {
    if (delivered[i].version != static_cast<std::int64_t>(i)) {
      out_of_order.push_back("version " + std::to_string(delivered[i].version) + " at " +
                             delivered[i].position().to_string() + " delivered as #" + std::to_string(i));
    }
  }
  INFO("first out of order: " << (out_of_order.empty() ? std::string("none") : out_of_order.front()));
  CHECK(out_of_order.empty());
}

TEST_CASE("a slow handler of one subscription holds back no other: B delivers during A's 3 s sleep") {
  // A worker's transaction takes an id only when it writes. Before, the
  // claim of the checkpoint (a row lock) gave it one for the whole batch, and
  // no reader on the server got past it until the handler returned.
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  create_read_model(probe);
  auto options = live(10s);
  std::atomic<bool> a_sleeping{false};
  WorkerThread a(dsn, "slow-a", options, [&](const std::vector<RecordedEvent>&, pqxx::work&) {
    a_sleeping = true;
    std::this_thread::sleep_for(3s);
    a_sleeping = false;
  });
  WorkerThread b(dsn, "quick-b", options, read_model_writer("b"));

  writer.save("order", "o1", numbered_events(1), 0);
  wait_until("A sleeps on its batch and B delivered the first event", 10s, [&] {
    b.check_running();
    return a_sleeping && read_model_count(probe) == 1;
  });
  const auto committed = std::chrono::steady_clock::now();
  writer.save("order", "o2", numbered_events(1), 0);
  wait_until("B delivers the event committed during A's sleep", 10s, [&] {
    b.check_running();
    return read_model_count(probe) == 2;
  });
  const auto latency = std::chrono::steady_clock::now() - committed;
  INFO("delivered after " << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count() << " ms");
  CHECK(a_sleeping);
  CHECK(latency < 1s);
  a.stop();
  b.stop();
}

TEST_CASE("a running worker takes over a reset, and stops with a clear error when its subscription is deleted") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection probe(dsn);
  pqxx::nontransaction(probe).exec0("CREATE TABLE deliveries (event_id bigint NOT NULL)");
  auto options = live(10s);  // only the notifications of reset and delete make it look at once
  Client worker_client = connect(dsn);
  auto worker = std::async(std::launch::async, [&] {
    worker_client.subscribe("doomed", options, for_each_event([](const RecordedEvent& event, pqxx::work& tx) {
      tx.exec_params0("INSERT INTO deliveries VALUES ($1)", event.id);
    }));
  });
  auto deliveries = [&] {
    pqxx::nontransaction tx(probe);
    return tx.exec1("SELECT count(*) FROM deliveries")[0].as<int>();
  };
  writer.save("order", "o1", numbered_events(3), 0);
  wait_until("the events are delivered", 10s, [&] { return deliveries() == 3; });

  writer.reset_subscription("doomed", StartFrom::kBeginning);
  wait_until("the reset worker delivers them again", 5s, [&] { return deliveries() == 6; });

  writer.delete_subscription("doomed");
  REQUIRE(worker.wait_for(5s) == std::future_status::ready);
  try {
    worker.get();
    FAIL("the worker of a deleted subscription returned normally");
  } catch (const Error& e) {
    CHECK(dynamic_cast<const InvalidArgument*>(&e) == nullptr);  // exit 1, not 2
    CHECK(std::string(e.what()).find("subscription 'doomed'") != std::string::npos);
    CHECK(std::string(e.what()).find("deleted") != std::string::npos);
  }
  CHECK(deliveries() == 6);
}

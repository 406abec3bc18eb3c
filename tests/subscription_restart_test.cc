// A subscription worker survives the server going away: a clean restart and
// a crash (SIGKILL of the postmaster). The worker runs on its own thread the
// whole time; events written before and after the restart all reach its read
// model exactly once, in (tx_id, id) order; a worker listening on its own
// session is woken by notifications again once it reconnected. The test cluster keeps its port
// across restarts, which lets the worker reconnect with the DSN it was given.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
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

namespace {

using testing::connect;
using testing::numbered_events;
using testing::wait_until;
using testing::WorkerThread;

// Counts rows on a fresh connection each time, so it works across restarts;
// -1 while the server does not answer.
std::int64_t read_model_count(const std::string& dsn) {
  try {
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    return tx.exec1("SELECT count(*) FROM read_model")[0].as<std::int64_t>();
  } catch (const pqxx::broken_connection&) {
    return -1;
  }
}

// Starts the test cluster again; the worker keeps the DSN it was given, so
// the server must come back on its port.
void restart_on_same_port(int port) {
  testing::cluster().start();
  REQUIRE(testing::cluster().port() == port);
}

}  // namespace

TEST_CASE("a running worker reconnects after the server restarts, without loss or duplicates") {
  const std::string dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  {
    pqxx::connection connection(dsn);
    pqxx::nontransaction(connection).exec0(
        "CREATE TABLE read_model (event_id bigint PRIMARY KEY, seq bigserial)");
  }
  SubscriptionOptions options;
  options.max_sleep = 200ms;
  options.batch_size = 7;
  options.max_reconnect_backoff = 300ms;
  options.retry.max_attempts = 1;  // a duplicate (primary key violation) stops the worker
  WorkerThread worker(dsn, "survivor", options,
                      for_each_event([](const RecordedEvent& event, pqxx::work& tx) {
                        tx.exec_params0("INSERT INTO read_model (event_id) VALUES ($1)", event.id);
                      }));

  {
    Client writer = connect(dsn);
    for (int i = 0; i < 10; ++i) writer.save("order", "before-" + std::to_string(i), numbered_events(2), 0);
  }
  wait_until("the events before the restart are delivered", 20s, [&] {
    worker.check_running();
    return read_model_count(dsn) == 20;
  });

  const auto port = testing::cluster().port();
  SECTION("a clean stop and start") { testing::cluster().stop(); }
  SECTION("a crash: SIGKILL of the postmaster") { testing::cluster().kill(); }
  REQUIRE_FALSE(testing::cluster().running());
  restart_on_same_port(port.value());

  {
    Client writer = connect(dsn);
    for (int i = 0; i < 10; ++i) writer.save("order", "after-" + std::to_string(i), numbered_events(3), 0);
  }
  wait_until("the events after the restart are delivered", 30s, [&] {
    worker.check_running();
    return read_model_count(dsn) == 50;
  });
  worker.stop();

  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  // Every event once, in the order of the log.
  CHECK(tx.exec1("SELECT count(*) FROM meowmx.events e FULL JOIN read_model r ON r.event_id = e.id"
                 " WHERE r.event_id IS NULL OR e.id IS NULL")[0].as<int>() == 0);
  CHECK(tx.exec1("SELECT count(*) FROM (SELECT e.tx_id, e.id, lag(e.tx_id) OVER w AS prev_tx,"
                 " lag(e.id) OVER w AS prev_id FROM read_model r JOIN meowmx.events e ON e.id = r.event_id"
                 " WINDOW w AS (ORDER BY r.seq)) x WHERE (prev_tx, prev_id) >= (tx_id, id)")[0]
            .as<int>() == 0);
  CHECK(tx.exec1("SELECT delivered FROM meowmx.subscriptions WHERE name = 'survivor'")[0].as<int>() == 50);
}

TEST_CASE("a worker listening on its own session listens again once it reconnected after a restart") {
  const std::string dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  {
    pqxx::connection connection(dsn);
    pqxx::nontransaction(connection).exec0("CREATE TABLE read_model (event_id bigint PRIMARY KEY)");
  }
  SubscriptionOptions options;
  options.max_sleep = 30s;  // far beyond the waits below: only a notification delivers in time
  options.max_reconnect_backoff = 300ms;
  WorkerThread worker(dsn, "relistener", options,
                      for_each_event([](const RecordedEvent& event, pqxx::work& tx) {
                        tx.exec_params0("INSERT INTO read_model (event_id) VALUES ($1)", event.id);
                      }),
                      "relistener");
  const auto save_and_await = [&](const std::string& aggregate_id, std::int64_t delivered_after) {
    Client writer = connect(dsn);
    writer.save("order", aggregate_id, numbered_events(1), 0);
    wait_until("event " + aggregate_id + " is delivered", 10s, [&] {
      worker.check_running();
      return read_model_count(dsn) == delivered_after;
    });
  };
  save_and_await("before", 1);

  const auto port = testing::cluster().port();
  testing::cluster().stop();
  restart_on_same_port(port.value());
  // The worker finds the connection gone while it waits on it, reconnects,
  // LISTENs again and runs a round: idle for a second, it sits in its wait.
  wait_until("the worker is back and has been idle for a second", 20s, [&] {
    worker.check_running();
    try {
      pqxx::connection connection(dsn);
      return pqxx::nontransaction(connection)
                 .exec1("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'relistener'"
                        " AND state = 'idle' AND now() - state_change > interval '1 s'")[0]
                 .as<int>() == 1;
    } catch (const pqxx::broken_connection&) {
      return false;
    }
  });
  save_and_await("after", 2);
  worker.stop();
}

// Crash tests need the server back at once after a SIGKILL, although the
// killed postmaster may stay a zombie (PID 1 reaps it) and its postmaster.pid
// stays behind; kill() removes that file once every server process is gone.
TEST_CASE("DevCluster: start() right after kill() brings the server back on its port") {
  testing::cluster().start();
  const auto port = testing::cluster().port();
  testing::cluster().kill();
  REQUIRE_FALSE(testing::cluster().running());
  testing::cluster().start();
  CHECK(testing::cluster().port() == port);
  pqxx::connection connection(testing::admin_dsn());
  CHECK(pqxx::nontransaction(connection).exec1("SELECT 1")[0].as<int>() == 1);
}

// Connections of the old server still in FIN-WAIT-2 or TIME-WAIT (clients
// that had not hung up when the server stopped) must not move a restarted
// cluster to a new port: clients reconnect with the DSN they were given.
TEST_CASE("DevCluster: a restart keeps the port while clients of the old server are still connected") {
  testing::cluster().start();
  const int port = testing::cluster().port().value();
  std::vector<std::unique_ptr<pqxx::connection>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(std::make_unique<pqxx::connection>(testing::admin_dsn()));
  testing::cluster().stop();
  testing::cluster().start();
  CHECK(testing::cluster().port() == port);
}

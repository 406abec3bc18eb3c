// Saves inside the caller's transaction (the outbox pattern): the events
// commit or roll back with the caller's own rows, with the same version check
// and idempotency as a save of its own, and subscribers are woken only by the
// caller's commit.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

using testing::numbered_events;

// A session LISTENing on the channel saves notify, recording what arrives.
class Listener : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection& connection, std::string dsn)
      : pqxx::notification_receiver(connection, "meowmx_events"), dsn_(std::move(dsn)) {}
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }

  // Sends a marker after whatever was sent before it and waits for it: what
  // arrives before the marker was sent before it (delivery is in commit order).
  std::vector<std::string> everything_before_a_marker() {
    pqxx::connection sender(dsn_);
    pqxx::nontransaction(sender).exec0("NOTIFY meowmx_events, 'marker'");
    for (auto deadline = std::chrono::steady_clock::now() + 20s;
         std::find(payloads.begin(), payloads.end(), "marker") == payloads.end();) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      conn().await_notification(1, 0);
    }
    std::vector<std::string> before(payloads.begin(),
                                    std::find(payloads.begin(), payloads.end(), std::string("marker")));
    payloads.clear();
    return before;
  }

  std::vector<std::string> payloads;

 private:
  std::string dsn_;
};

std::int64_t count(pqxx::connection& connection, const std::string& sql) {
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

class Order : public Aggregate {
 public:
  explicit Order(std::string id) : Aggregate("order", std::move(id)) {}
  void place() { record({.event_type = "OrderPlaced", .json_text = R"({"total": 10.50})"}); }
  bool placed = false;

 protected:
  void apply(const std::string& event_type, const nlohmann::json&) override { placed = event_type == "OrderPlaced"; }
  void reset() override { placed = false; }
};

}  // namespace

TEST_CASE("a save in the caller's transaction commits with the caller's rows, or rolls back with them") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  pqxx::connection observer(dsn);
  pqxx::nontransaction(observer).exec0("CREATE TABLE orders (id text PRIMARY KEY, total numeric)");
  pqxx::connection listening(dsn);
  Listener listener(listening, dsn);

  SECTION("commit: both visible together, subscribers woken at the commit") {
    pqxx::work tx(client.connection());
    tx.exec0("INSERT INTO orders VALUES ('o-1', 10.50)");
    const auto saved = client.save(tx, "order", "o-1", numbered_events(2), 0);
    CHECK(saved.size() == 2);
    CHECK(saved[1].version == 1);
    // Before the commit: nothing to see, nobody woken.
    CHECK(count(observer, "SELECT count(*) FROM orders") == 0);
    CHECK(count(observer, "SELECT count(*) FROM meowmx.events") == 0);
    CHECK(listener.everything_before_a_marker().empty());
    tx.commit();
    CHECK(count(observer, "SELECT count(*) FROM orders") == 1);
    CHECK(count(observer, "SELECT count(*) FROM meowmx.events") == 2);
    // One wake-up, saying what was written: "<tx_id> <member hash> order".
    const auto woken = listener.everything_before_a_marker();
    REQUIRE(woken.size() == 1);
    CHECK_THAT(woken[0], Catch::EndsWith(" order"));
    CHECK(client.load("order", "o-1").size() == 2);
  }
  SECTION("rollback: no event, no aggregate, nobody woken") {
    {
      pqxx::work tx(client.connection());
      tx.exec0("INSERT INTO orders VALUES ('o-1', 10.50)");
      client.save(tx, "order", "o-1", numbered_events(1), 0);
      tx.abort();
    }
    CHECK(count(observer, "SELECT count(*) FROM orders") == 0);
    CHECK(count(observer, "SELECT count(*) FROM meowmx.events") == 0);
    CHECK(count(observer, "SELECT count(*) FROM meowmx.aggregates") == 0);
    CHECK(listener.everything_before_a_marker().empty());
    // The client goes on as before.
    CHECK(client.save("order", "o-1", numbered_events(1), 0).size() == 1);
  }
  SECTION("the aggregate helper, then a rollback: reload to see the truth") {
    Order order("o-2");
    order.place();
    {
      pqxx::work tx(client.connection());
      client.save(tx, order);
      CHECK(order.version() == 1);
      CHECK(order.pending_events().empty());
      tx.abort();
    }
    client.load(order);
    CHECK(order.version() == 0);
    CHECK_FALSE(order.placed);
    order.place();
    {
      pqxx::work tx(client.connection());
      client.save(tx, order);
      tx.commit();
    }
    CHECK(client.load("order", "o-2").at(0).json_text == R"({"total": 10.50})");
  }
}

TEST_CASE("a save in the caller's transaction checks the version and is idempotent") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  client.save("order", "o-1", numbered_events(1), 0);

  SECTION("a version conflict leaves the caller's transaction to the caller") {
    pqxx::work tx(client.connection());
    CHECK_THROWS_AS(client.save(tx, "order", "o-1", numbered_events(1), 0), VersionConflict);
    // Nothing failed on the server: the transaction goes on.
    CHECK(client.save(tx, "order", "o-1", numbered_events(1, 1), 1).size() == 1);
    tx.commit();
    CHECK(client.load("order", "o-1").size() == 2);
  }
  SECTION("a retry with the same event ids returns what was recorded") {
    std::vector<NewEvent> events = numbered_events(2);
    events[0].event_id = "7d0a1c2e-3b4f-4a5b-9c6d-7e8f9a0b1c20";
    events[1].event_id = "7d0a1c2e-3b4f-4a5b-9c6d-7e8f9a0b1c21";
    const auto first = client.save("order", "o-1", events, 1);
    pqxx::work tx(client.connection());
    const auto again = client.save(tx, "order", "o-1", events, 1);
    tx.commit();
    REQUIRE(again.size() == 2);
    CHECK(again[0].id == first[0].id);
    CHECK(client.load("order", "o-1").size() == 3);
  }
  SECTION("a transaction on another connection is refused") {
    pqxx::connection other(dsn);
    pqxx::work tx(other);
    CHECK_THROWS_AS(client.save(tx, "order", "o-1", numbered_events(1), 1), InvalidArgument);
  }
}

// Subscriptions through the C++ API, one worker at a time: every event once,
// in (tx_id, id) order; the checkpoint persists; categories, batch size,
// start from now and the per-event adapter; effects written through the
// handler's transaction commit with the checkpoint or not at all; retries,
// HandlerFailed and dead letters; reset and delete.
//
// Runs use stop_when_caught_up, so subscribe() returns once nothing is left
// to deliver and every assertion runs on the test's own thread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "store/log_query.h"
#include "subscriptions/subscription_round.h"
#include "subscriptions/wake_up.h"
#include "support/events.h"
#include "support/polling.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;

namespace {

using testing::connect;
using testing::ids;
using testing::numbered_events;
using testing::text_database;

SubscriptionOptions until_caught_up() {
  SubscriptionOptions options;
  options.stop_when_caught_up = true;
  options.max_sleep = std::chrono::milliseconds(200);
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  options.retry.max_backoff = std::chrono::milliseconds(5);
  return options;
}

// Every batch a run handed over, in the order it did.
struct Recorder {
  std::vector<std::vector<RecordedEvent>> batches;

  BatchHandler handler() {
    return [this](const std::vector<RecordedEvent>& batch, pqxx::work&) { batches.push_back(batch); };
  }
  std::vector<RecordedEvent> events() const {
    std::vector<RecordedEvent> out;
    for (const auto& batch : batches) out.insert(out.end(), batch.begin(), batch.end());
    return out;
  }
  void clear() { batches.clear(); }
};

std::vector<RecordedEvent> run(Client& client, const std::string& name, SubscriptionOptions options = until_caught_up()) {
  Recorder recorder;
  client.subscribe(name, options, recorder.handler());
  return recorder.events();
}

// The global ids of the log in (tx_id, id) order, optionally of some types only.
std::vector<std::int64_t> log_ids(Client& client, const std::vector<std::string>& types = {}) {
  pqxx::nontransaction tx(client.connection());
  std::string braces = "{";
  for (const auto& t : types) braces += (braces.size() > 1 ? "," : "") + t;
  braces += "}";
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec_params(
           "SELECT id FROM meowmx.events WHERE cardinality($1::text[]) = 0 OR aggregate_type = ANY($1::text[])"
           " ORDER BY tx_id, id",
           braces)) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

void check_strictly_increasing(const std::vector<RecordedEvent>& events) {
  for (std::size_t i = 1; i < events.size(); ++i) {
    CAPTURE(i);
    REQUIRE(events[i - 1].position() < events[i].position());
  }
}

SubscriptionStatus status_of(Client& client, const std::string& name, int member = 0) {
  for (auto& s : client.subscription_status()) {
    if (s.name == name && s.group_member == member) return s;
  }
  FAIL("no status row for subscription " << name << " member " << member);
  return {};
}

// A read model in the same database, written through the handler's transaction.
void create_read_model(Client& client) {
  pqxx::nontransaction tx(client.connection());
  tx.exec0(
      "CREATE TABLE read_model (event_id bigint PRIMARY KEY, aggregate_id text NOT NULL,"
      " version bigint NOT NULL, seq bigserial)");
}

void insert_into_read_model(const RecordedEvent& event, pqxx::work& tx) {
  tx.exec_params0("INSERT INTO read_model (event_id, aggregate_id, version) VALUES ($1, $2, $3)", event.id,
                  event.aggregate_id, event.version);
}

// The read model's event ids in the order they were written.
std::vector<std::int64_t> read_model_ids(Client& client) {
  pqxx::nontransaction tx(client.connection());
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec("SELECT event_id FROM read_model ORDER BY seq")) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

// Saves a few events over several aggregates and types, some in batches.
std::vector<RecordedEvent> save_mixed(Client& writer) {
  std::vector<RecordedEvent> saved;
  auto keep = [&](std::vector<RecordedEvent> events) { saved.insert(saved.end(), events.begin(), events.end()); };
  keep(writer.save("order", "o1", numbered_events(3), 0));
  keep(writer.save("invoice", "i1", numbered_events(1), 0));
  keep(writer.save("order", "o2", numbered_events(2), 0));
  keep(writer.save("shipment", "s1", numbered_events(4), 0));
  keep(writer.save("order", "o1", numbered_events(1), 3));
  keep(writer.save("invoice", "i1", numbered_events(2), 1));
  return saved;
}

}  // namespace

TEST_CASE("a subscription delivers every event once in (tx_id, id) order and resumes from its checkpoint") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  const auto saved = save_mixed(writer);

  const auto first = run(worker, "projector");
  CHECK(first.size() == saved.size());
  CHECK(ids(first) == log_ids(writer));
  check_strictly_increasing(first);
  // The delivered events are the stored ones, field for field.
  std::map<std::int64_t, RecordedEvent> by_id;
  for (const auto& e : saved) by_id[e.id] = e;
  for (const auto& e : first) {
    const auto& stored = by_id.at(e.id);
    CHECK(e.tx_id == stored.tx_id);
    CHECK(e.aggregate_type == stored.aggregate_type);
    CHECK(e.aggregate_id == stored.aggregate_id);
    CHECK(e.version == stored.version);
    CHECK(e.event_type == stored.event_type);
    CHECK(e.json() == stored.json());
  }

  auto status = status_of(writer, "projector");
  CHECK(status.checkpoint == first.back().position().to_string());
  CHECK(status.delivered == static_cast<std::int64_t>(saved.size()));
  CHECK(status.events_behind == 0);
  CHECK(status.held_back == 0);
  CHECK(status.categories.empty());

  SECTION("a second run delivers nothing, even from a new connection") {
    Client another = connect(dsn);
    CHECK(run(another, "projector").empty());
    CHECK(run(worker, "projector").empty());
  }

  SECTION("a later run delivers only the new events") {
    const auto more = writer.save("order", "o3", numbered_events(2), 0);
    auto pending = status_of(writer, "projector");
    CHECK(pending.events_behind == 2);
    const auto second = run(worker, "projector");
    CHECK(ids(second) == ids(more));
    CHECK(run(worker, "projector").empty());
    CHECK(status_of(writer, "projector").delivered == static_cast<std::int64_t>(saved.size() + 2));
  }

  SECTION("another subscription has a checkpoint of its own") {
    CHECK(ids(run(worker, "auditor")) == log_ids(writer));
  }
}

TEST_CASE("a subscription with categories delivers only those aggregate types") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  save_mixed(writer);

  auto options = until_caught_up();
  options.categories = {"shipment", "order"};
  const auto delivered = run(worker, "orders-and-shipments", options);
  CHECK(ids(delivered) == log_ids(writer, {"order", "shipment"}));
  CHECK(std::none_of(delivered.begin(), delivered.end(), [](const RecordedEvent& e) { return e.aggregate_type == "invoice"; }));
  auto status = status_of(writer, "orders-and-shipments");
  CHECK(status.categories == std::vector<std::string>{"order", "shipment"});
  CHECK(status.events_behind == 0);

  // Events of other types do not count as pending for this subscription.
  writer.save("invoice", "i9", numbered_events(3), 0);
  CHECK(status_of(writer, "orders-and-shipments").events_behind == 0);
  CHECK(run(worker, "orders-and-shipments", options).empty());
  const auto order = writer.save("order", "o9", numbered_events(1), 0);
  CHECK(status_of(writer, "orders-and-shipments").events_behind == 1);
  CHECK(ids(run(worker, "orders-and-shipments", options)) == ids(order));

  SECTION("the list is fixed at creation: asking for other categories is an InvalidArgument") {
    auto other = options;
    other.categories = {"invoice"};
    CHECK_THROWS_AS(run(worker, "orders-and-shipments", other), InvalidArgument);
    other.categories = {};
    CHECK_THROWS_AS(run(worker, "orders-and-shipments", other), InvalidArgument);
    // The same list in another order and with a repeat is the same list.
    other.categories = {"order", "shipment", "order"};
    CHECK(run(worker, "orders-and-shipments", other).empty());
  }

  SECTION("an invalid category is an InvalidArgument") {
    auto bad = options;
    bad.categories = {"x'; drop table meowmx.events; --"};
    CHECK_THROWS_AS(run(worker, "bad-category", bad), InvalidArgument);
    for (const auto& s : writer.subscription_status()) CHECK(s.name != "bad-category");
  }
}

TEST_CASE("a subscription hands over at most batch_size events at a time") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  for (int i = 0; i < 5; ++i) writer.save("order", "o" + std::to_string(i), numbered_events(5), 0);

  auto options = until_caught_up();
  options.batch_size = 4;
  Recorder recorder;
  worker.subscribe("batched", options, recorder.handler());
  CHECK(ids(recorder.events()) == log_ids(writer));
  // Everything was deliverable: full batches of 4, then the remaining one.
  REQUIRE(recorder.batches.size() == 7);
  for (std::size_t i = 0; i + 1 < recorder.batches.size(); ++i) CHECK(recorder.batches[i].size() == 4);
  CHECK(recorder.batches.back().size() == 1);

  SECTION("batch_size 1 delivers one by one") {
    options.batch_size = 1;
    Recorder single;
    worker.subscribe("one-by-one", options, single.handler());
    CHECK(single.batches.size() == 25);
    CHECK(ids(single.events()) == log_ids(writer));
  }

  SECTION("a batch size below 1 is an InvalidArgument") {
    options.batch_size = 0;
    CHECK_THROWS_AS(run(worker, "zero", options), InvalidArgument);
  }
}

TEST_CASE("catch-up pages grow while they come back full, unless their events are large") {
  // Batches of one page share its transaction, so now() tells the pages apart.
  const auto pages_of = [](Client& worker, const std::string& name) {
    auto options = until_caught_up();
    options.batch_size = 10;
    std::vector<std::string> page_of_batch;
    worker.subscribe(name, options, [&](const std::vector<RecordedEvent>&, pqxx::work& tx) {
      page_of_batch.push_back(tx.exec1("SELECT now()::text")[0].as<std::string>());
    });
    return page_of_batch;
  };
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);

  SECTION("small events: pages of 10, 20 and 40") {
    writer.save("order", "small", numbered_events(70), 0);
    const auto pages = pages_of(worker, "small-events");
    REQUIRE(pages.size() == 7);  // batches
    CHECK(std::set<std::string>(pages.begin(), pages.end()).size() == 3);
    CHECK(pages[1] == pages[2]);
    CHECK(pages[3] == pages[6]);
  }
  SECTION("events near 1 MB: a page of 10 already holds over 8 MB, so pages stay at one batch") {
    std::vector<NewEvent> large(10, NewEvent{.event_type = "Large"});
    for (auto& event : large) event.json_text = R"({"blob":")" + std::string(900'000, 'x') + R"("})";
    for (int i = 0; i < 3; ++i) writer.save("order", "large-" + std::to_string(i), large, 0);
    const auto pages = pages_of(worker, "large-events");
    REQUIRE(pages.size() == 3);
    CHECK(std::set<std::string>(pages.begin(), pages.end()).size() == 3);
  }
}

TEST_CASE("a subscription created with StartFrom::kNow skips the events already stored") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  save_mixed(writer);

  auto options = until_caught_up();
  options.start = StartFrom::kNow;
  CHECK(run(worker, "from-now", options).empty());
  CHECK(status_of(writer, "from-now").events_behind == 0);

  const auto later = writer.save("order", "o1", numbered_events(2), 4);
  const auto more = writer.save("invoice", "i2", numbered_events(1), 0);
  auto expected = ids(later);
  expected.push_back(more.front().id);
  // `start` only matters when the subscription is created.
  options.start = StartFrom::kBeginning;
  CHECK(ids(run(worker, "from-now", options)) == expected);
}

TEST_CASE("for_each_event hands the events of each batch over one by one with the batch's transaction") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  create_read_model(writer);
  save_mixed(writer);

  std::vector<std::int64_t> seen;
  auto options = until_caught_up();
  options.batch_size = 5;
  worker.subscribe("per-event", options, for_each_event([&](const RecordedEvent& event, pqxx::work& tx) {
                     seen.push_back(event.id);
                     insert_into_read_model(event, tx);
                   }));
  CHECK(seen == log_ids(writer));
  CHECK(read_model_ids(writer) == log_ids(writer));
}

TEST_CASE("handler effects written through the batch's transaction commit with the checkpoint, or not at all") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  create_read_model(writer);
  const auto saved = save_mixed(writer);  // 13 events
  const auto log = log_ids(writer);
  REQUIRE(log.size() == 13);
  auto options = until_caught_up();
  options.batch_size = 100;

  SECTION("a successful run leaves every event in the read model once, and the checkpoint at the last") {
    worker.subscribe("projector", options, for_each_event(insert_into_read_model));
    CHECK(read_model_ids(writer) == log);
    CHECK(status_of(writer, "projector").delivered == 13);
  }

  SECTION("a handler that throws after writing leaves nothing, and the checkpoint does not move") {
    options.retry.max_attempts = 1;
    int calls = 0;
    auto failing = [&](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
      ++calls;
      for (const auto& event : batch) insert_into_read_model(event, tx);
      throw std::runtime_error("projection crashed");
    };
    CHECK_THROWS_AS(worker.subscribe("projector", options, failing), HandlerFailed);
    CHECK(calls >= 1);
    CHECK(read_model_ids(writer).empty());
    const auto status = status_of(writer, "projector");
    CHECK(status.checkpoint == "0:0");
    CHECK(status.delivered == 0);
    CHECK(status.events_behind == 13);

    // A working handler afterwards delivers everything, each once.
    worker.subscribe("projector", options, for_each_event(insert_into_read_model));
    CHECK(read_model_ids(writer) == log);
  }

  SECTION("a failure in the middle of a batch rolls back the whole batch's effects") {
    // The handler wrote events before the failing one, then threw: none of
    // those writes may stay, except what later single deliveries write again.
    const std::int64_t bad = log[6];
    options.retry.max_attempts = 1;
    std::vector<std::size_t> batch_sizes;
    auto failing = [&](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
      batch_sizes.push_back(batch.size());
      for (const auto& event : batch) {
        if (event.id == bad) throw std::runtime_error("cannot project event " + std::to_string(bad));
        insert_into_read_model(event, tx);
      }
    };
    try {
      worker.subscribe("projector", options, failing);
      FAIL("subscribe returned instead of throwing HandlerFailed");
    } catch (const HandlerFailed& e) {
      // The error names the event and the handler's own message.
      const std::string what = e.what();
      CHECK(what.find("projector") != std::string::npos);
      CHECK(what.find("cannot project event") != std::string::npos);
    }
    REQUIRE_FALSE(batch_sizes.empty());
    CHECK(batch_sizes.front() == 13);
    // What stays is exactly the events before the failing one, each once,
    // and the checkpoint right before the failing event.
    CHECK(read_model_ids(writer) == std::vector<std::int64_t>(log.begin(), log.begin() + 6));
    const auto status = status_of(writer, "projector");
    CHECK(status.delivered == 6);
    CHECK(status.events_behind == 7);
    pqxx::nontransaction tx(writer.connection());
    const auto position = tx.exec_params1("SELECT tx_id::text || ':' || id FROM meowmx.events WHERE id = $1", log[5]);
    CHECK(status.checkpoint == position[0].as<std::string>());
  }
}

TEST_CASE("a failing handler is retried with backoff, then the subscription stops or parks the event") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  create_read_model(writer);
  for (int i = 0; i < 5; ++i) writer.save("order", "o" + std::to_string(i), numbered_events(1), 0);
  const auto log = log_ids(writer);
  const std::int64_t bad = log[2];
  auto options = until_caught_up();
  options.batch_size = 10;

  // Fails on `bad` the first `failures` times it is handed over.
  int attempts_on_bad = 0;
  int single_attempts_on_bad = 0;
  auto flaky = [&](int failures) {
    return [&, failures](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
      for (const auto& event : batch) {
        if (event.id == bad) {
          ++attempts_on_bad;
          if (batch.size() == 1) ++single_attempts_on_bad;
          if (attempts_on_bad <= failures) throw std::runtime_error("flaky downstream");
        }
        insert_into_read_model(event, tx);
      }
    };
  };

  SECTION("a handler that fails twice then succeeds delivers everything, each once") {
    options.retry.max_attempts = 3;
    worker.subscribe("retrying", options, flaky(2));
    CHECK(attempts_on_bad == 3);
    CHECK(read_model_ids(writer) == log);  // the primary key refuses duplicates
    const auto status = status_of(writer, "retrying");
    CHECK(status.delivered == 5);
    CHECK(status.events_behind == 0);
    pqxx::nontransaction tx(writer.connection());
    CHECK(tx.exec1("SELECT count(*) FROM meowmx.dead_letters")[0].as<int>() == 0);
  }

  SECTION("OnHandlerFailure::kStop: HandlerFailed once max_attempts run out, checkpoint before the event") {
    options.retry.max_attempts = 3;
    options.retry.on_failure = OnHandlerFailure::kStop;
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(worker.subscribe("stopping", options, flaky(1000)), HandlerFailed);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    // The event was tried on its own exactly max_attempts times.
    CHECK(single_attempts_on_bad == 3);
    CHECK(read_model_ids(writer) == std::vector<std::int64_t>{log[0], log[1]});
    const auto status = status_of(writer, "stopping");
    CHECK(status.delivered == 2);
    CHECK(status.events_behind == 3);

    // Once the handler is fixed, delivery resumes at the failing event.
    worker.subscribe("stopping", options, for_each_event(insert_into_read_model));
    CHECK(read_model_ids(writer) == log);
  }

  SECTION("OnHandlerFailure::kDeadLetter: the event is parked in meowmx.dead_letters and the rest delivered") {
    options.retry.max_attempts = 2;
    options.retry.on_failure = OnHandlerFailure::kDeadLetter;
    worker.subscribe("parking", options, flaky(1000));
    CHECK(single_attempts_on_bad == 2);
    CHECK(read_model_ids(writer) == std::vector<std::int64_t>{log[0], log[1], log[3], log[4]});
    const auto status = status_of(writer, "parking");
    CHECK(status.events_behind == 0);
    CHECK(status.delivered == 4);

    pqxx::connection probe(dsn);
    pqxx::nontransaction tx(probe);
    const auto letters = tx.exec(
        "SELECT subscription, group_member, event_global_id, event_tx_id::text, attempts, error"
        " FROM meowmx.dead_letters");
    REQUIRE(letters.size() == 1);
    CHECK(letters[0][0].as<std::string>() == "parking");
    CHECK(letters[0][1].as<int>() == 0);
    CHECK(letters[0][2].as<std::int64_t>() == bad);
    CHECK(letters[0][4].as<int>() == 2);
    CHECK(letters[0][5].as<std::string>().find("flaky downstream") != std::string::npos);

    const auto view = tx.exec(
        "SELECT subscription, aggregate_type, aggregate_id, version, event_type, json::text, position, error"
        " FROM meowmx.dead_letter_events");
    REQUIRE(view.size() == 1);
    const auto expected_position =
        tx.exec_params1("SELECT tx_id::text || ':' || id FROM meowmx.events WHERE id = $1", bad)[0].as<std::string>();
    CHECK(view[0][0].as<std::string>() == "parking");
    CHECK(view[0][1].as<std::string>() == "order");
    CHECK(view[0][2].as<std::string>() == "o2");
    CHECK(view[0][3].as<int>() == 0);
    CHECK(view[0][4].as<std::string>() == "Numbered");
    CHECK(json::parse(view[0][5].as<std::string>()) == json{{"n", 0}});
    CHECK(view[0][6].as<std::string>() == expected_position);
    CHECK(view[0][6].as<std::string>() == letters[0][3].as<std::string>() + ":" + std::to_string(bad));

    // A later run does not deliver the parked event again.
    const auto later = writer.save("order", "o9", numbered_events(1), 0);
    Recorder recorder;
    worker.subscribe("parking", options, recorder.handler());
    CHECK(ids(recorder.events()) == ids(later));

    // Deleting the subscription removes its dead letters too.
    worker.delete_subscription("parking");
    CHECK(tx.exec1("SELECT count(*) FROM meowmx.dead_letters")[0].as<int>() == 0);
  }

  SECTION("max_attempts below 1 is an InvalidArgument") {
    options.retry.max_attempts = 0;
    CHECK_THROWS_AS(worker.subscribe("none", options, flaky(0)), InvalidArgument);
  }
}

TEST_CASE("reset_subscription moves the checkpoint; delete_subscription removes the subscription") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  save_mixed(writer);
  const auto log = log_ids(writer);
  REQUIRE(ids(run(worker, "projector")) == log);

  SECTION("reset to the beginning redelivers everything") {
    worker.reset_subscription("projector", StartFrom::kBeginning);
    const auto status = status_of(writer, "projector");
    CHECK(status.checkpoint == "0:0");
    CHECK(status.delivered == 0);
    CHECK(ids(run(worker, "projector")) == log);
  }

  SECTION("reset to now skips what is stored, then delivers new events") {
    worker.reset_subscription("projector", StartFrom::kBeginning);
    worker.reset_subscription("projector", StartFrom::kNow);
    CHECK(run(worker, "projector").empty());
    const auto later = writer.save("order", "o7", numbered_events(1), 0);
    CHECK(ids(run(worker, "projector")) == ids(later));
  }

  SECTION("delete removes it; a later run starts afresh") {
    worker.delete_subscription("projector");
    for (const auto& s : writer.subscription_status()) CHECK(s.name != "projector");
    CHECK_THROWS_AS(worker.delete_subscription("projector"), InvalidArgument);
    CHECK(ids(run(worker, "projector")) == log);
  }

  SECTION("unknown or malformed names are InvalidArgument") {
    CHECK_THROWS_AS(worker.reset_subscription("nosuch", StartFrom::kBeginning), InvalidArgument);
    CHECK_THROWS_AS(worker.delete_subscription("nosuch"), InvalidArgument);
    CHECK_THROWS_AS(worker.reset_subscription("x'; --", StartFrom::kBeginning), InvalidArgument);
    CHECK_THROWS_AS(run(worker, "x'; drop table meowmx.events; --"), InvalidArgument);
    CHECK_THROWS_AS(run(worker, ""), InvalidArgument);
    CHECK(writer.subscription_status().size() == 1);
  }
}

TEST_CASE("one Client can run subscriptions with different filters one after the other") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  save_mixed(writer);

  CHECK(ids(run(worker, "everything")) == log_ids(writer));
  auto options = until_caught_up();
  options.categories = {"invoice"};
  CHECK(ids(run(worker, "invoices", options)) == log_ids(writer, {"invoice"}));
  options.categories = {};
  options.group_size = 2;
  const auto member0 = run(worker, "halves", options);
  options.group_member = 1;
  const auto member1 = run(worker, "halves", options);
  CHECK(member0.size() + member1.size() == log_ids(writer).size());
  CHECK(ids(run(worker, "everything-again")) == log_ids(writer));
}

TEST_CASE("a database set up before the member hash gets it for its existing events, and groups split them") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  save_mixed(writer);
  {
    // The schema as sql/005 and 007 left it: no member hash, 006 not recorded.
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    tx.exec0("ALTER TABLE meowmx.events DROP COLUMN member_hash");
    tx.exec0("DELETE FROM meowmx.migrations WHERE number = 6");
  }
  writer.setup();
  Client worker = connect(dsn);
  auto options = until_caught_up();
  options.group_size = 3;
  std::vector<std::int64_t> delivered;
  for (int member = 0; member < 3; ++member) {
    options.group_member = member;
    const auto events = run(worker, "upgraded", options);
    for (const auto& event : events) delivered.push_back(event.id);
  }
  std::sort(delivered.begin(), delivered.end());
  std::vector<std::int64_t> expected = log_ids(writer);
  std::sort(expected.begin(), expected.end());
  CHECK(delivered == expected);
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  CHECK(tx.exec1("SELECT count(*) FROM meowmx.events"
                 " WHERE member_hash % 3 <> meowmx.group_member_of(aggregate_id::text, 3)")[0]
            .as<int>() == 0);
  CHECK(tx.exec1("SELECT count(*) FROM pg_index WHERE indexrelid::regclass::text LIKE 'meowmx.events_member_%_of_3'"
                 " AND indisvalid")[0]
            .as<int>() == 3);
}

namespace {

// Makes `target` the next transaction id the cluster hands out, by using up
// ids in subtransactions (each insert in a BEGIN ... EXCEPTION block takes one).
void advance_transaction_ids_to(pqxx::connection_base& connection, std::uint64_t target) {
  pqxx::nontransaction tx(connection);
  tx.exec0("CREATE TEMP TABLE IF NOT EXISTS burn (i integer)");
  for (;;) {
    const auto next = tx.exec1("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")[0].as<std::uint64_t>();
    if (next >= target) return;
    const std::uint64_t subtransactions = target - next - 1;  // the DO block's own id is the +1
    if (subtransactions == 0) {
      tx.exec0("SELECT pg_current_xact_id()");
      continue;
    }
    tx.exec0("DO $$ BEGIN FOR i IN 1.." + std::to_string(subtransactions) +
             " LOOP BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN division_by_zero THEN NULL; END;"
             " END LOOP; END $$");
  }
}

std::uint64_t next_power_of_ten_after(std::uint64_t value) {
  std::uint64_t power = 10;
  while (power <= value) power *= 10;
  return power;
}

}  // namespace

TEST_CASE("events whose transaction ids straddle a power of ten come in numeric (tx_id, id) order, once") {
  // Transaction ids are compared as numbers: 999 < 1000. Ordering them as
  // text ("1000" < "999") would hand a page over out of order, and paging on
  // from its last position would repeat or skip events.
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  pqxx::connection burner(dsn);
  std::uint64_t next = 0;
  {
    pqxx::nontransaction tx(burner);
    next = tx.exec1("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")[0].as<std::uint64_t>();
  }
  const std::uint64_t power = next_power_of_ten_after(next + 50);
  advance_transaction_ids_to(burner, power - 3);
  std::vector<RecordedEvent> saved;
  for (int i = 0; i < 6; ++i) {
    const auto events = writer.save("order", "o" + std::to_string(i), numbered_events(1 + i % 2), 0);
    saved.insert(saved.end(), events.begin(), events.end());
  }
  INFO("transaction ids from " << saved.front().tx_id << " to " << saved.back().tx_id);
  REQUIRE(saved.front().tx_id < power);
  REQUIRE(saved.back().tx_id >= power);
  const auto log = log_ids(writer);
  REQUIRE(log == ids(saved));

  // A subscription, in batches that cross the boundary.
  auto subscription = until_caught_up();
  subscription.batch_size = 4;
  Recorder recorder;
  worker.subscribe("straddling", subscription, recorder.handler());
  CHECK(ids(recorder.events()) == log);
  check_strictly_increasing(recorder.events());
  CHECK(status_of(writer, "straddling").checkpoint == saved.back().position().to_string());
  CHECK(status_of(writer, "straddling").delivered == static_cast<std::int64_t>(log.size()));

  // Client::read, page by page.
  std::vector<RecordedEvent> read;
  ReadOptions paging;
  paging.limit = 2;
  for (int pages = 0; pages < 20; ++pages) {
    const auto page = worker.read(paging);
    if (page.empty()) break;
    read.insert(read.end(), page.begin(), page.end());
    paging.after = page.back().position();
  }
  CHECK(ids(read) == log);
}

TEST_CASE("a round of a consumer group member walks its group's index rather than sorting the log") {
  // Rounds of consumer group members once sorted every remaining event of the
  // log, because the planner took the member condition to keep one event in
  // 200; then they walked the whole (tx_id, id) index, reading every other
  // member's rows too. Nothing else shows it, so this looks at the plan.
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  for (int aggregate = 0; aggregate < 20; ++aggregate) {
    writer.save("order", "o" + std::to_string(aggregate), numbered_events(1000), 0);
  }
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  tx.exec0(internal::group_index_sql(2, 0));
  tx.exec0("VACUUM ANALYZE meowmx.events");
  tx.exec0("INSERT INTO meowmx.subscriptions (name, group_member, group_size) VALUES ('planned', 0, 2)");
  const std::vector<std::pair<std::string, bool>> cases = {
      {"force_custom_plan", false}, {"force_custom_plan", true},
      {"force_generic_plan", false}, {"force_generic_plan", true}};
  for (const auto& [plan_cache_mode, by_category] : cases) {
    CAPTURE(plan_cache_mode, by_category);
    tx.exec0("SET plan_cache_mode = " + plan_cache_mode);
    const auto sql = internal::subscription_round_sql({.by_category = by_category, .group_size = 2, .group_member = 0});
    const std::string name = (by_category ? "round_category_group_" : "round_group_") + plan_cache_mode;
    tx.exec0("PREPARE " + name + " AS " + sql);
    const std::string args = by_category ? "'0', 0, 100, '{order}'" : "'0', 0, 100";
    std::string plan;
    for (const auto& row : tx.exec("EXPLAIN EXECUTE " + name + "(" + args + ")")) {
      plan += row[0].c_str() + std::string("\n");
    }
    INFO(plan);
    CHECK(plan.find(by_category ? "Index Scan using events_" : "Index Scan using events_member_0_of_2") !=
          std::string::npos);
    // An ascending sort of events by position: the whole rest of the log.
    CHECK(plan.find("tx_id, events.id\n") == std::string::npos);
    CHECK(plan.find("Bitmap Heap Scan on events") == std::string::npos);
  }
}

namespace {

// Index scans of meowmx.events_member_<member>_of_<size> so far, once the
// statistics of sessions that ended are in.
std::int64_t member_index_scans(pqxx::nontransaction& tx, int size, int member) {
  tx.exec("SELECT pg_stat_clear_snapshot()");
  return tx.exec_params1("SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'meowmx'"
                         " AND indexrelname = $1",
                         internal::group_index_name(size, member))[0]
      .as<std::int64_t>();
}

}  // namespace

TEST_CASE("status counts a consumer group member's backlog on its own index: exact to 10,000, estimated beyond") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  auto options = until_caught_up();
  options.group_size = 4;
  auto orders = options;
  orders.categories = {"order"};
  for (int member = 0; member < 4; ++member) {  // the members' rows, and their indexes built
    options.group_member = orders.group_member = member;
    run(worker, "split", options);
    run(worker, "split-orders", orders);
  }
  for (int aggregate = 0; aggregate < 40; ++aggregate) {
    writer.save(aggregate % 3 == 0 ? "invoice" : "order", "a" + std::to_string(aggregate), numbered_events(5), 0);
  }
  pqxx::connection checker(dsn);
  pqxx::nontransaction tx(checker);
  const auto behind = [&](const std::string& where) {
    std::map<int, std::int64_t> counts;
    for (const auto& row : tx.exec("SELECT meowmx.group_member_of(aggregate_id::text, 4), count(*)"
                                   " FROM meowmx.events WHERE " + where + " GROUP BY 1")) {
      counts[row[0].as<int>()] = row[1].as<std::int64_t>();
    }
    return counts;
  };
  const auto all = behind("true");
  const auto only_orders = behind("aggregate_type = 'order'");
  std::vector<std::int64_t> scans_before;
  for (int member = 0; member < 4; ++member) scans_before.push_back(member_index_scans(tx, 4, member));
  {
    Client reader = connect(dsn);  // its session's statistics are in once it ends
    for (int member = 0; member < 4; ++member) {
      CAPTURE(member);
      const auto split = status_of(reader, "split", member);
      CHECK(split.events_behind == (all.count(member) ? all.at(member) : 0));
      CHECK(split.events_behind_exact);
      CHECK(split.held_back == 0);
      CHECK(split.seconds_behind > 0);
      const auto split_orders = status_of(reader, "split-orders", member);
      CHECK(split_orders.events_behind == (only_orders.count(member) ? only_orders.at(member) : 0));
      CHECK(split_orders.events_behind_exact);
    }
  }
  for (int member = 0; member < 4; ++member) {
    CAPTURE(member);
    CHECK(testing::eventually([&] { return member_index_scans(tx, 4, member) > scans_before[member]; }));
  }

  // Beyond 10,000 events of its own, a member's count stops and the estimate
  // from global ids takes over.
  for (int member = 0; member < 4; ++member) {
    const std::string id = tx.exec_params1("SELECT 'bulk-' || i FROM generate_series(0, 100) i"
                                           " WHERE meowmx.group_member_of('bulk-' || i, 4) = $1 LIMIT 1",
                                           member)[0]
                               .as<std::string>();
    pqxx::work bulk(writer.connection());
    testing::write_in_open_transaction(bulk, "order", id, 10'500);
    bulk.commit();
  }
  const std::int64_t last_id = tx.exec1("SELECT max(id) FROM meowmx.events")[0].as<std::int64_t>();
  for (int member = 0; member < 4; ++member) {
    CAPTURE(member);
    const auto split = status_of(writer, "split", member);
    CHECK_FALSE(split.events_behind_exact);
    CHECK(split.events_behind == std::max<std::int64_t>(10'001, last_id / 4));
  }
}

TEST_CASE("a handler throwing HandlerAborted stops the subscription at once: no retry, no dead letter") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  Client worker = connect(dsn);
  for (int i = 0; i < 4; ++i) writer.save("order", "o" + std::to_string(i), numbered_events(1), 0);
  auto options = until_caught_up();
  options.batch_size = 2;
  options.retry.max_attempts = 5;
  options.retry.on_failure = OnHandlerFailure::kDeadLetter;
  int calls = 0;
  auto aborting = [&](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
    ++calls;
    if (calls == 2) throw HandlerAborted("cannot write to stdout");
    for (const auto& event : batch) {
      tx.exec_params("SELECT $1::bigint", event.id);
    }
  };
  try {
    worker.subscribe("aborting", options, aborting);
    FAIL("subscribe returned");
  } catch (const HandlerAborted& e) {
    CHECK(std::string(e.what()) == "cannot write to stdout");
  }
  CHECK(calls == 2);  // the second batch, once
  const auto status = status_of(writer, "aborting");
  CHECK(status.delivered == 2);  // the checkpoint stays before the aborted batch
  CHECK(status.events_behind == 2);
  pqxx::nontransaction tx(writer.connection());
  CHECK(tx.exec1("SELECT count(*) FROM meowmx.dead_letters")[0].as<int>() == 0);
}

TEST_CASE("subscription options: max_sleep below its minimum and a changed filter are refused") {
  const std::string dsn = text_database();
  Client worker = connect(dsn);
  auto options = until_caught_up();
  SECTION("max_sleep below kMinMaxSleep") {
    options.max_sleep = kMinMaxSleep - std::chrono::milliseconds(1);
    CHECK_THROWS_WITH(worker.subscribe("eager", options, Recorder().handler()),
                      "max sleep must be at least 10 ms");
    options.max_sleep = kMinMaxSleep;
    CHECK_NOTHROW(worker.subscribe("eager", options, Recorder().handler()));
  }
  SECTION("other categories than the stored ones: the error says to delete the subscription") {
    options.categories = {"order"};
    worker.subscribe("fixed", options, Recorder().handler());
    options.categories = {"invoice"};
    try {
      worker.subscribe("fixed", options, Recorder().handler());
      FAIL("subscribe accepted other categories");
    } catch (const InvalidArgument& e) {
      const std::string message = e.what();
      CHECK(message.find("delete the subscription") != std::string::npos);
      CHECK(message.find("reset") == std::string::npos);
    }
  }
}

TEST_CASE("a save's wake-up names its transaction, the aggregate's member hash and its category") {
  const std::string dsn = text_database();
  Client writer = connect(dsn);
  pqxx::connection listener(dsn);
  struct Received : pqxx::notification_receiver {
    using notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } received(listener, "meowmx_events");
  const auto saved = writer.save("order", "o-42", numbered_events(2), 0);
  listener.await_notification(10, 0);
  REQUIRE(received.payloads.size() == 1);
  const auto wake_up = internal::parse_wake_up(received.payloads[0]);
  REQUIRE(wake_up);
  CHECK(wake_up->tx_id == saved[0].tx_id);
  CHECK(wake_up->aggregate_type == "order");
  pqxx::nontransaction tx(writer.connection());
  for (const int size : {2, 3, 7}) {
    CAPTURE(size);
    CHECK(wake_up->member_hash % size ==
          tx.exec_params1("SELECT meowmx.group_member_of('o-42', $1)", size)[0].as<int>());
  }
  CHECK_FALSE(internal::parse_wake_up(""));
  CHECK_FALSE(internal::parse_wake_up("12 34"));
  CHECK_FALSE(internal::parse_wake_up("x 34 order"));
}

TEST_CASE("saves from many threads at once: every save's wake-up arrives, the last ones too") {
  // Most wake-ups are queued behind the one on its way and sent together
  // after the sender's interval; none may be left behind.
  const std::string dsn = text_database();
  pqxx::connection listener(dsn);
  struct Received : pqxx::notification_receiver {
    using notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override {
      if (const auto wake_up = internal::parse_wake_up(payload)) tx_ids.insert(wake_up->tx_id);
    }
    std::set<std::uint64_t> tx_ids;
  } received(listener, "meowmx_events");
  constexpr int kThreads = 8;
  constexpr int kSavesPerThread = 40;
  std::vector<std::set<std::uint64_t>> saved(kThreads);
  {
    std::vector<std::jthread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        Client writer = connect(dsn);
        for (int i = 0; i < kSavesPerThread; ++i) {
          const auto events = writer.save("order", "o-" + std::to_string(t) + "-" + std::to_string(i),
                                          numbered_events(1), 0);
          saved[t].insert(events[0].tx_id);
        }
      });
    }
  }
  std::set<std::uint64_t> all_saved;
  for (const auto& ids : saved) all_saved.insert(ids.begin(), ids.end());
  REQUIRE(all_saved.size() == kThreads * kSavesPerThread);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received.tx_ids.size() < all_saved.size() && std::chrono::steady_clock::now() < deadline) {
    listener.await_notification(1, 0);
  }
  CHECK(received.tx_ids == all_saved);
}

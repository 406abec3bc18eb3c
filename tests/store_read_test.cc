// Reading the global log with Client::read(): paging by position, category
// filters, and the guarantee subscriptions rely on: a transaction that is
// still open holds back every event committed after it, so paging on the last
// seen position never skips a late commit and never returns an event twice.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;

namespace {

using testing::connect;
using testing::ids;
using testing::numbered_events;
using testing::text_database;
using testing::write_in_open_transaction;

ReadOptions read_options(Position after, std::int64_t limit = 1000, std::vector<std::string> categories = {}) {
  ReadOptions options;
  options.after = after;
  options.limit = limit;
  options.categories = std::move(categories);
  return options;
}

// Pages from options.after until a page comes back empty, checking each page
// respects the limit.
std::vector<RecordedEvent> read_to_end(Client& client, ReadOptions options) {
  std::vector<RecordedEvent> all;
  for (;;) {
    const auto page = client.read(options);
    REQUIRE(page.size() <= static_cast<std::size_t>(options.limit));
    if (page.empty()) return all;
    all.insert(all.end(), page.begin(), page.end());
    options.after = page.back().position();
  }
}

// The transactions that hold the read horizon back, for failure messages.
std::string horizon_holders(Client& client) {
  pqxx::nontransaction tx(client.connection());
  std::string out = "horizon " + tx.exec1("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0].as<std::string>();
  for (const auto& row : tx.exec(
           "SELECT pid, coalesce(datname, '-'), coalesce(backend_type, '-'), coalesce(state, '-'),"
           " coalesce(backend_xid::text, '-'), coalesce(backend_xmin::text, '-'), left(query, 80)"
           " FROM pg_stat_activity WHERE backend_xid IS NOT NULL OR backend_xmin IS NOT NULL")) {
    out += "\n  pid " + row[0].as<std::string>();
    for (int i = 1; i < 7; ++i) out += " | " + std::string(row[i].c_str());
  }
  return out;
}

// Pages from options.after until `count` events arrived. An empty page before
// that means some transaction (ours, or e.g. an autovacuum analyze anywhere in
// the cluster) still holds the horizon back: poll until it moves, up to a deadline.
std::vector<RecordedEvent> read_until(Client& client, ReadOptions options, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::vector<RecordedEvent> all;
  while (all.size() < count) {
    const auto page = client.read(options);
    if (page.empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        FAIL("only " << all.size() << " of " << count << " events after " << options.after.to_string()
                     << " became readable; " << horizon_holders(client));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    all.insert(all.end(), page.begin(), page.end());
    options.after = page.back().position();
  }
  return all;
}

// Waits until every transaction up to `tx_id` has finished, so that read()
// may return all their events.
void await_horizon_past(Client& client, std::uint64_t tx_id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    pqxx::nontransaction tx(client.connection());
    const auto horizon = std::stoull(tx.exec1("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0].c_str());
    if (horizon > tx_id) return;
    if (std::chrono::steady_clock::now() > deadline) FAIL("the horizon stays at " << horizon << "; " << horizon_holders(client));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Moves the cluster's transaction id counter to `margin` below the next power
// of ten and returns that power, so the next writes get ids like 9998, 9999,
// 10000, 10001: numbers whose decimal text sorts in another order.
std::uint64_t approach_power_of_ten(Client& client, std::uint64_t margin) {
  pqxx::nontransaction tx(client.connection());
  const auto next = std::stoull(tx.exec1("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")[0].c_str());
  std::uint64_t power = 10;
  while (power <= next + margin) power *= 10;
  // One committed transaction per id, in one round trip.
  tx.exec0("DO $$ BEGIN FOR i IN 1.." + std::to_string(power - margin - next) +
           " LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$");
  return power;
}

// Every event of the table in log order, straight from SQL.
std::vector<std::int64_t> all_ids_in_log_order(Client& client) {
  pqxx::nontransaction tx(client.connection());
  std::vector<std::int64_t> out;
  for (const auto& row : tx.exec("SELECT id FROM meowmx.events ORDER BY tx_id, id")) {
    out.push_back(row[0].as<std::int64_t>());
  }
  return out;
}

void check_strictly_increasing_positions(const std::vector<RecordedEvent>& events) {
  for (std::size_t i = 1; i < events.size(); ++i) {
    INFO("event " << i << " at " << events[i].position().to_string() << " follows "
                  << events[i - 1].position().to_string());
    REQUIRE(events[i - 1].position() < events[i].position());
  }
}

std::vector<std::string> types_of(const std::vector<RecordedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.aggregate_type);
  return out;
}

// "type@tx_id:id ..." for failure messages.
std::string describe(const std::vector<RecordedEvent>& events) {
  std::string out;
  for (const auto& e : events) out += e.aggregate_type + "@" + e.position().to_string() + " ";
  return out;
}

}  // namespace

TEST_CASE("read pages through the whole log by position") {
  Client client = connect(text_database());
  std::vector<RecordedEvent> written;
  const auto save = [&](const std::string& type, const std::string& id, int n) {
    const auto saved = client.save(type, id, numbered_events(n), ExpectedVersion::any());
    written.insert(written.end(), saved.begin(), saved.end());
  };
  for (int round = 0; round < 3; ++round) {
    save("order", "o" + std::to_string(round), 2);
    save("invoice", "i" + std::to_string(round), 1);
    save("shipment", "s" + std::to_string(round), 3);
  }
  const auto expected = ids(written);  // one client, one save after the other: log order
  REQUIRE(expected == all_ids_in_log_order(client));

  for (const std::int64_t limit : {1, 4, 1000}) {
    CAPTURE(limit);
    const auto all = read_until(client, read_options(Position::beginning(), limit), expected.size());
    CHECK(ids(all) == expected);
    check_strictly_increasing_positions(all);
    CHECK(client.read(read_options(all.back().position(), limit)).empty());

    // Starting in the middle returns exactly the rest.
    const auto rest = read_to_end(client, read_options(all[7].position(), limit));
    CHECK(ids(rest) == std::vector<std::int64_t>(expected.begin() + 8, expected.end()));
  }
}

TEST_CASE("read orders by transaction id as a number, also where its digits grow (9999 -> 10000)") {
  Client client = connect(text_database());
  const auto power = approach_power_of_ten(client, 4);
  std::vector<RecordedEvent> written;
  for (int i = 0; i < 10; ++i) {  // one transaction each
    const auto saved = client.save(i % 2 ? "order" : "invoice", "a" + std::to_string(i % 3),
                                   numbered_events(1 + i % 2), ExpectedVersion::any());
    written.insert(written.end(), saved.begin(), saved.end());
  }
  INFO("written: " << describe(written));
  REQUIRE(written.front().tx_id < power);  // the writes straddle the power of ten
  REQUIRE(written.back().tx_id >= power);
  await_horizon_past(client, written.back().tx_id);

  for (const std::int64_t limit : {1, 3, 1000}) {
    CAPTURE(limit);
    const auto all = read_to_end(client, read_options(Position::beginning(), limit));
    INFO("read: " << describe(all));
    CHECK(ids(all) == ids(written));
    const auto orders = read_to_end(client, read_options(Position::beginning(), limit, {"order"}));
    std::vector<std::int64_t> written_orders;
    for (const auto& e : written) {
      if (e.aggregate_type == "order") written_orders.push_back(e.id);
    }
    CHECK(ids(orders) == written_orders);
  }
}

TEST_CASE("read by category returns only those aggregate types, in log order") {
  Client client = connect(text_database());
  for (int round = 0; round < 3; ++round) {
    client.save("order", "o" + std::to_string(round), numbered_events(2), 0);
    client.save("invoice", "i" + std::to_string(round), numbered_events(1), 0);
    client.save("shipment", "s" + std::to_string(round), numbered_events(1), 0);
  }
  read_until(client, read_options(Position::beginning()), 12);  // everything is past the horizon

  const auto invoices = read_to_end(client, read_options(Position::beginning(), 2, {"invoice"}));
  CHECK(types_of(invoices) == std::vector<std::string>(3, "invoice"));
  check_strictly_increasing_positions(invoices);

  const auto two = read_to_end(client, read_options(Position::beginning(), 3, {"order", "shipment"}));
  CHECK(two.size() == 9);
  for (const auto& e : two) CHECK((e.aggregate_type == "order" || e.aggregate_type == "shipment"));
  check_strictly_increasing_positions(two);

  CHECK(client.read(read_options(Position::beginning(), 10, {"unknown_type"})).empty());

  // Paging a category from the middle.
  const auto after_first = read_to_end(client, read_options(invoices[0].position(), 1, {"invoice"}));
  CHECK(ids(after_first) == std::vector<std::int64_t>{invoices[1].id, invoices[2].id});
}

TEST_CASE("read refuses bad options") {
  Client client = connect(testing::admin_dsn());  // refused before any query: no store needed
  CHECK_THROWS_AS(client.read(read_options(Position::beginning(), 0)), InvalidArgument);
  CHECK_THROWS_AS(client.read(read_options(Position::beginning(), -5)), InvalidArgument);
  for (const std::string& hostile : std::vector<std::string>{"x'; drop table meowmx.events; --", "a,b", "{a}", "", "a\"b"}) {
    CAPTURE(hostile);
    CHECK_THROWS_AS(client.read(read_options(Position::beginning(), 10, {hostile})), InvalidArgument);
  }
}

TEST_CASE("Position prints and parses as tx_id:id") {
  CHECK((Position{7421, 1038}.to_string()) == "7421:1038");
  CHECK(Position::parse("7421:1038") == (Position{7421, 1038}));
  CHECK(Position::parse(Position::beginning().to_string()) == Position::beginning());
  CHECK((Position{1, 9}) < (Position{2, 1}));
  CHECK((Position{2, 1}) < (Position{2, 3}));
  for (const char* bad : {"", "1", ":1", "1:", "a:b", "1:2:3", "-1:2", "1:-2", " 1:2", "1:2 "}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(Position::parse(bad), InvalidArgument);
  }
}

TEST_CASE("an open transaction holds back later commits until it finishes; nothing is skipped or repeated") {
  const std::string dsn = text_database();
  Client reader = connect(dsn);
  Client writer = connect(dsn);
  Client holder = connect(dsn);  // its connection hosts the long transaction

  writer.save("early", "e1", numbered_events(2), 0);
  const auto seen = read_until(reader, read_options(Position::beginning()), 2);
  const Position last_seen = seen.back().position();

  SECTION("a transaction that wrote first and commits last") {
    pqxx::work held(holder.connection());
    write_in_open_transaction(held, "held", "h1", 2);  // takes its transaction id now
    writer.save("later", "l1", numbered_events(3), 0);  // committed, but after the held one began writing

    // Neither the held events (uncommitted) nor the later ones may be returned yet.
    CHECK(read_to_end(reader, read_options(last_seen)).empty());
    CHECK(read_to_end(reader, read_options(last_seen, 1000, {"later"})).empty());
    CHECK(ids(read_to_end(reader, read_options(Position::beginning()))) == ids(seen));
    held.commit();

    // Paging on from where the reader stopped: the held events first, then the later ones.
    const auto rest = read_until(reader, read_options(last_seen), 5);
    INFO("after " << last_seen.to_string() << ": " << describe(rest) << "; then "
                  << describe(read_to_end(reader, read_options(rest.back().position()))));
    CHECK(types_of(rest) == std::vector<std::string>{"held", "held", "later", "later", "later"});
    CHECK(read_to_end(reader, read_options(rest.back().position())).empty());
    auto everything = seen;
    everything.insert(everything.end(), rest.begin(), rest.end());
    check_strictly_increasing_positions(everything);
    CHECK(ids(everything) == all_ids_in_log_order(reader));
  }

  SECTION("a transaction that began first but writes after a later commit") {
    pqxx::work held(holder.connection());
    held.exec("SELECT 1");  // open, but no transaction id yet
    writer.save("later", "l1", numbered_events(3), 0);
    write_in_open_transaction(held, "held", "h1", 2);  // its id is now above the later commit's

    // The later commit sorts before the held writes, so it may be read now; the held ones not.
    const auto later = read_until(reader, read_options(last_seen), 3);
    CHECK(types_of(later) == std::vector<std::string>(3, "later"));
    CHECK(read_to_end(reader, read_options(later.back().position())).empty());
    held.commit();

    const auto rest = read_until(reader, read_options(later.back().position()), 2);
    CHECK(types_of(rest) == std::vector<std::string>{"held", "held"});
    auto everything = seen;
    everything.insert(everything.end(), later.begin(), later.end());
    everything.insert(everything.end(), rest.begin(), rest.end());
    check_strictly_increasing_positions(everything);
    CHECK(ids(everything) == all_ids_in_log_order(reader));
  }

  SECTION("a transaction that rolls back: its events never appear") {
    {
      pqxx::work held(holder.connection());
      write_in_open_transaction(held, "held", "h1", 2);
      writer.save("later", "l1", numbered_events(3), 0);
      CHECK(read_to_end(reader, read_options(last_seen)).empty());
      held.abort();
    }
    const auto rest = read_until(reader, read_options(last_seen), 3);
    CHECK(types_of(rest) == std::vector<std::string>(3, "later"));
    CHECK(read_to_end(reader, read_options(rest.back().position())).empty());
    CHECK(read_to_end(reader, read_options(Position::beginning(), 1000, {"held"})).empty());
    // The rolled-back aggregate does not exist: it can be created at version 0.
    CHECK(writer.save("held", "h1", numbered_events(1), 0).at(0).version == 0);
  }
}

TEST_CASE("a reader paging while many writers commit sees every event exactly once, in order") {
  constexpr int kWriters = 4;
  constexpr int kSavesPerWriter = 40;
  const std::string dsn = text_database();
  std::vector<Client> writers;
  for (int i = 0; i < kWriters; ++i) writers.push_back(connect(dsn));
  Client reader = connect(dsn);

  std::atomic<int> writers_running{kWriters};
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (int i = 0; i < kSavesPerWriter; ++i) {
          // Batches of 1..3 events over a few aggregates per writer.
          writers[static_cast<std::size_t>(w)].save("w" + std::to_string(w), std::to_string(i % 5),
                                                    numbered_events(1 + i % 3), ExpectedVersion::any());
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(w)] = e.what();
      }
      --writers_running;
    });
  }

  // Page concurrently with the writers, with a small page size so the reader
  // often stops inside a burst of commits.
  std::vector<RecordedEvent> seen;
  ReadOptions options = read_options(Position::beginning(), 7);
  bool writers_done = false;
  while (!writers_done) {
    writers_done = writers_running == 0;  // decided before the read that may be the last
    const auto page = reader.read(options);
    seen.insert(seen.end(), page.begin(), page.end());
    if (!page.empty()) options.after = page.back().position();
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) CHECK(error.empty());

  const auto expected = all_ids_in_log_order(reader);
  // Whatever the horizon held back at the end arrives by paging on.
  const auto tail = read_until(reader, options, expected.size() - std::min(expected.size(), seen.size()));
  seen.insert(seen.end(), tail.begin(), tail.end());
  check_strictly_increasing_positions(seen);
  CHECK(ids(seen) == expected);
  CHECK(std::set<std::int64_t>(expected.begin(), expected.end()).size() == expected.size());
}

TEST_CASE("created_at is shown in UTC with microseconds whatever the session's time zone") {
  Client client = connect(text_database());
  // On the client's own connection, each statement in a transaction of its own.
  const auto sql = [&](const std::string& statement) {
    pqxx::nontransaction tx(client.connection());
    return tx.exec(statement);
  };
  client.save("order", "tz", numbered_events(3), 0);
  // Times whose fraction PostgreSQL prints short or not at all, and offsets
  // that move the date back or forth.
  sql("UPDATE meowmx.events SET created_at = CASE version"
             " WHEN 0 THEN '2025-12-31 23:30:00+00'::timestamptz"
             " WHEN 1 THEN '2026-03-01 00:15:02.1+00'::timestamptz"
             " ELSE '2024-02-29 23:59:59.999999+00'::timestamptz END WHERE aggregate_id = 'tz'");
  const std::vector<std::string> expected = {"2025-12-31T23:30:00.000000Z", "2026-03-01T00:15:02.100000Z",
                                             "2024-02-29T23:59:59.999999Z"};
  for (const char* zone : {"UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Kiritimati", "Etc/GMT+12"}) {
    CAPTURE(zone);
    sql(std::string("SET TimeZone = '") + zone + "'");
    std::vector<std::string> loaded;
    for (const auto& event : client.load("order", "tz")) loaded.push_back(event.created_at);
    CHECK(loaded == expected);
    const auto read = client.read(read_options(Position::beginning(), 1000, {"order"}));
    REQUIRE(read.size() == 3);
    CHECK(read[2].created_at == expected[2]);
  }
  // What a save returns is shown the same way.
  sql("SET TimeZone = 'America/St_Johns'");
  const auto more = client.save("order", "tz", numbered_events(1), 3);
  CHECK(more[0].created_at == client.load("order", "tz", LoadOptions{.from_version = 3})[0].created_at);
  CHECK(more[0].created_at ==
        sql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                    " FROM meowmx.events WHERE aggregate_id = 'tz' AND version = 3")[0][0]
            .as<std::string>());
}

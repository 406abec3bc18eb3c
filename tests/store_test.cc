// The event store through the C++ API, one client at a time: save/load round
// trips for every aggregate id type, load options, the version check, batch
// atomicity, idempotent retries, the Aggregate helper and set-up.
// Races between clients are in store_concurrency_test.cc, the global log in
// store_read_test.cc.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <map>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;

namespace {

using testing::numbered_events;

constexpr const char* kOrderId = "0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10";
constexpr const char* kOtherOrderId = "1c6f8a6d-7b3f-4d2c-8b58-4e2d3f9a0b21";
constexpr const char* kEventId1 = "7d0a1c2e-3b4f-4a5b-9c6d-7e8f9a0b1c2d";
constexpr const char* kEventId2 = "8e1b2d3f-4c5a-4b6c-8d7e-8f9a0b1c2d3e";
constexpr const char* kEventId3 = "9f2c3e4a-5d6b-4c7d-9e8f-9a0b1c2d3e4f";

Client connect(const std::string& dsn, std::size_t max_event_bytes = ClientOptions{}.max_event_bytes) {
  ClientOptions options;
  options.dsn = dsn;
  options.max_event_bytes = max_event_bytes;
  return Client(options);
}

std::string fresh_database(AggregateIdType id_type) {
  return testing::fresh_database(testing::DatabaseOptions{true, id_type});
}

NewEvent event(std::string type, json data = json::object(), json metadata = nullptr,
               std::optional<std::string> event_id = std::nullopt) {
  return NewEvent{std::move(type), std::move(data), std::move(metadata), std::move(event_id)};
}

std::vector<std::int64_t> versions(const std::vector<RecordedEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.version);
  return out;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {  // [from, to)
  std::vector<std::int64_t> out;
  for (auto v = from; v < to; ++v) out.push_back(v);
  return out;
}

std::int64_t scalar(Client& client, const std::string& sql) {
  pqxx::nontransaction tx(client.connection());
  return tx.exec1(sql)[0].as<std::int64_t>();
}

std::int64_t event_count(Client& client) { return scalar(client, "SELECT count(*) FROM meowmx.events"); }

std::int64_t aggregate_count(Client& client) {
  return scalar(client, "SELECT count(*) FROM meowmx.aggregates");
}

// The VersionConflict that fn throws; fails the test when it throws nothing.
template <typename Fn>
VersionConflict conflict_from(Fn&& fn) {
  try {
    fn();
  } catch (const VersionConflict& conflict) {
    return conflict;
  }
  FAIL("expected a VersionConflict");
  throw std::logic_error("unreachable");
}

void check_same_recorded(const RecordedEvent& a, const RecordedEvent& b) {
  CHECK(a.id == b.id);
  CHECK(a.tx_id == b.tx_id);
  CHECK(a.aggregate_type == b.aggregate_type);
  CHECK(a.aggregate_id == b.aggregate_id);
  CHECK(a.version == b.version);
  CHECK(a.event_type == b.event_type);
  CHECK(a.json() == b.json());
  CHECK(a.metadata() == b.metadata());
  CHECK(a.event_id == b.event_id);
  CHECK(a.created_at == b.created_at);
}

void check_same_recorded(const std::vector<RecordedEvent>& a, const std::vector<RecordedEvent>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) check_same_recorded(a[i], b[i]);
}

// A few valid ids per type, including edge cases, each of which must come back unchanged.
std::vector<std::string> sample_ids(AggregateIdType type) {
  switch (type) {
    case AggregateIdType::kUuid:
      return {kOrderId, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"};
    case AggregateIdType::kText:
      return {"order-1", " padded ", "Ünïcødé/ids: 'quoted' \"x\" ✓", "x'; drop table meowmx.events; --",
              "UPPER", std::string(1024, 'z')};
    case AggregateIdType::kBigint:
      return {"0", "42", "-42", "9223372036854775807", "-9223372036854775808"};
  }
  return {};
}

// Ids the type must refuse rather than store in another spelling.
std::vector<std::string> non_canonical_ids(AggregateIdType type) {
  switch (type) {
    case AggregateIdType::kUuid:
      return {"0B5E7F5C-6A2E-4C1B-9A47-3D1C2E8F9A10", "0b5e7f5c6a2e4c1b9a473d1c2e8f9a10",
              "{0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10}", "not-a-uuid", ""};
    case AggregateIdType::kText:
      return {"", std::string(1025, 'z'), std::string("nul\0inside", 10)};
    case AggregateIdType::kBigint:
      return {"007", "+7", " 7", "7 ", "7.0", "-0", "", "abc", "9223372036854775808",
              "-9223372036854775809"};
  }
  return {};
}

const std::regex kIsoUtcTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");

}  // namespace

// ---------------------------------------------------------------------------
// Round trips

TEST_CASE("each aggregate id type: ids round-trip byte for byte, non-canonical spellings are refused") {
  const auto id_type = GENERATE(AggregateIdType::kUuid, AggregateIdType::kText, AggregateIdType::kBigint);
  const std::string id_type_name(to_string(id_type));
  CAPTURE(id_type_name);
  Client client = connect(fresh_database(id_type));
  REQUIRE(client.aggregate_id_type() == id_type);

  for (const std::string& id : sample_ids(id_type)) {
    CAPTURE(id);
    // Event ids are unique across the store: only the first aggregate uses one.
    const auto event_id = id == sample_ids(id_type).front() ? std::optional<std::string>(kEventId1) : std::nullopt;
    const std::vector<NewEvent> to_save = {
        event("OrderPlaced", {{"customer", "c1"}, {"total", 12.5}, {"tags", {"a", "b"}}},
              {{"correlation_id", "corr-1"}, {"causation_id", "cause-1"}}),
        event("ItemAdded", {{"sku", "ünï"}, {"nested", {{"deep", {1, 2, 3}}}}}, nullptr, event_id),
        event("OrderShipped"),
    };

    const auto saved = client.save("order", id, to_save, 0);
    REQUIRE(saved.size() == to_save.size());
    for (std::size_t i = 0; i < saved.size(); ++i) {
      const RecordedEvent& e = saved[i];
      CHECK(e.aggregate_type == "order");
      CHECK(e.aggregate_id == id);  // byte for byte
      CHECK(e.version == static_cast<std::int64_t>(i));
      CHECK(e.event_type == to_save[i].event_type);
      CHECK(e.json() == to_save[i].json);
      CHECK(e.metadata() == to_save[i].metadata);
      CHECK(e.event_id == to_save[i].event_id);
      CHECK(e.id > 0);
      CHECK(e.tx_id > 0);
      CHECK(std::regex_match(e.created_at, kIsoUtcTimestamp));
      CHECK(e.position() == Position{e.tx_id, e.id});
    }
    // One batch, one transaction, ids in version order.
    CHECK(saved[0].tx_id == saved[2].tx_id);
    CHECK(saved[0].id < saved[1].id);
    CHECK(saved[1].id < saved[2].id);

    check_same_recorded(client.load("order", id), saved);
  }

  // Each id type refuses other spellings rather than store them differently.
  const auto events_before = event_count(client);
  for (const std::string& id : non_canonical_ids(id_type)) {
    CAPTURE(id);
    CHECK_THROWS_AS(client.save("order", id, numbered_events(1), 0), InvalidArgument);
    CHECK_THROWS_AS(client.save("order", id, numbered_events(1), ExpectedVersion::any()), InvalidArgument);
    CHECK_THROWS_AS(client.load("order", id), InvalidArgument);
  }
  CHECK(event_count(client) == events_before);
}

TEST_CASE("versions are 0-based; explicit and `any` appends continue at the end") {
  Client client = connect(testing::fresh_database());
  CHECK(versions(client.save("order", kOrderId, numbered_events(2), 0)) == range(0, 2));
  CHECK(versions(client.save("order", kOrderId, numbered_events(3, 2), 2)) == range(2, 5));
  CHECK(versions(client.save("order", kOrderId, numbered_events(1, 5), ExpectedVersion::any())) == range(5, 6));
  CHECK(versions(client.save("order", kOrderId, numbered_events(2, 6), 6)) == range(6, 8));
  const auto loaded = client.load("order", kOrderId);
  CHECK(versions(loaded) == range(0, 8));
  for (const auto& e : loaded) CHECK(e.json() == json{{"n", e.version}});
  // `any` also creates a new aggregate at version 0.
  CHECK(versions(client.save("order", kOtherOrderId, numbered_events(2), ExpectedVersion::any())) == range(0, 2));
}

TEST_CASE("aggregates are identified by type and id together; unknown ones load empty") {
  Client client = connect(testing::fresh_database());
  CHECK(client.load("order", kOrderId).empty());
  client.save("order", kOrderId, numbered_events(2), 0);
  client.save("invoice", kOrderId, numbered_events(1), 0);  // same id, other type: its own stream
  client.save("order", kOtherOrderId, numbered_events(3), 0);
  CHECK(client.load("order", kOrderId).size() == 2);
  CHECK(client.load("invoice", kOrderId).size() == 1);
  CHECK(client.load("order", kOtherOrderId).size() == 3);
  CHECK(client.load("order", "2d7a9b7e-8c4a-4e3d-9c69-5f3e4a0b1c32").empty());
  CHECK(client.load("never_saved_type", kOrderId).empty());
}

TEST_CASE("load options narrow the range, reverse and limit; nonsense ranges are refused") {
  Client client = connect(testing::fresh_database());
  client.save("order", kOrderId, numbered_events(10), 0);

  struct Case {
    const char* name;
    LoadOptions options;
    std::vector<std::int64_t> expected;
  };
  const std::vector<Case> cases = {
      {"defaults: everything in order", {}, range(0, 10)},
      {"from_version", {3, std::nullopt, false, std::nullopt}, range(3, 10)},
      {"to_version is inclusive", {0, 5, false, std::nullopt}, range(0, 6)},
      {"from and to", {3, 5, false, std::nullopt}, {3, 4, 5}},
      {"from == to", {4, 4, false, std::nullopt}, {4}},
      {"reverse", {0, std::nullopt, true, std::nullopt}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
      {"reverse with limit takes the newest", {0, std::nullopt, true, 3}, {9, 8, 7}},
      {"reverse within a range", {2, 6, true, std::nullopt}, {6, 5, 4, 3, 2}},
      {"limit takes the oldest", {0, std::nullopt, false, 4}, range(0, 4)},
      {"limit past the end", {8, std::nullopt, false, 5}, {8, 9}},
      {"limit 0", {0, std::nullopt, false, 0}, {}},
      {"from past the end", {10, std::nullopt, false, std::nullopt}, {}},
      {"to past the end", {7, 100, false, std::nullopt}, {7, 8, 9}},
      {"everything at once", {1, 8, true, 2}, {8, 7}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK(versions(client.load("order", kOrderId, c.options)) == c.expected);
  }
  // Ranges that make no sense are refused rather than read as empty.
  CHECK_THROWS_AS(client.load("order", kOrderId, {-1, std::nullopt, false, std::nullopt}), InvalidArgument);
  CHECK_THROWS_AS(client.load("order", kOrderId, {5, 4, false, std::nullopt}), InvalidArgument);
  CHECK_THROWS_AS(client.load("order", kOrderId, {0, std::nullopt, false, -1}), InvalidArgument);
}

TEST_CASE("invalid aggregate types are refused") {
  Client client = connect(testing::fresh_database());
  for (const std::string& type : std::vector<std::string>{"", "1order", "order type", "x'; drop table meowmx.events; --",
                                                         "order\"", "{order}", "a,b", std::string(129, 'a')}) {
    CAPTURE(type);
    CHECK_THROWS_AS(client.save(type, kOrderId, numbered_events(1), 0), InvalidArgument);
    CHECK_THROWS_AS(client.load(type, kOrderId), InvalidArgument);
  }
  CHECK(event_count(client) == 0);
  // The accepted alphabet, for contrast.
  CHECK(client.save("_My.order:v2-x", kOrderId, numbered_events(1), 0).size() == 1);
}

// ---------------------------------------------------------------------------
// Optimistic concurrency (one client; races are in store_concurrency_test.cc)

TEST_CASE("a save at the wrong version is a VersionConflict that writes nothing") {
  Client client = connect(testing::fresh_database());
  client.save("order", kOrderId, numbered_events(3), 0);

  struct Case {
    const char* name;
    std::int64_t version;
  };
  for (const Case& c : {Case{"too low", 2}, Case{"too high", 5}, Case{"0 on an existing aggregate", 0}}) {
    CAPTURE(c.name);
    const auto conflict = conflict_from([&] { client.save("order", kOrderId, numbered_events(2, 100), c.version); });
    CHECK(conflict.expected() == c.version);
    CHECK(conflict.actual() == 3);
    CHECK(conflict.exit_code() == 3);
    CHECK(event_count(client) == 3);
  }
  CHECK(versions(client.load("order", kOrderId)) == range(0, 3));

  // A new aggregate holds 0 events.
  const auto conflict = conflict_from([&] { client.save("order", kOtherOrderId, numbered_events(1), 1); });
  CHECK(conflict.expected() == 1);
  CHECK(conflict.actual() == 0);
  CHECK(event_count(client) == 3);
  CHECK(aggregate_count(client) == 1);
}

TEST_CASE("ExpectedVersion parses 'any' and non-negative integers only") {
  CHECK(ExpectedVersion::parse("any").is_any());
  CHECK(ExpectedVersion::parse("0").value() == 0);
  CHECK(ExpectedVersion::parse("17").value() == 17);
  CHECK(ExpectedVersion::parse("17").to_string() == "17");
  CHECK(ExpectedVersion::any().to_string() == "any");
  for (const char* bad : {"", "-1", "abc", "1.5", "+1", " 1", "1 ", "ANY", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(ExpectedVersion::parse(bad), InvalidArgument);
  }
}

// ---------------------------------------------------------------------------
// Atomicity

TEST_CASE("a batch with one bad event writes nothing") {
  Client client = connect(testing::fresh_database(), /*max_event_bytes=*/200);
  client.save("order", kOrderId, numbered_events(1), 0);

  struct Case {
    const char* name;
    NewEvent bad;
  };
  const std::vector<Case> cases = {
      {"event type with a space", event("Order Placed")},
      {"empty event type", event("")},
      {"hostile event type", event("x'; drop table meowmx.events; --")},
      {"json is an array", event("Bad", json::array({1, 2}))},
      {"json is a string", event("Bad", "text")},
      {"json is a number", event("Bad", 7)},
      {"json is null", event("Bad", nullptr)},
      {"metadata is an array", event("Bad", json::object(), json::array({1}))},
      {"payload over max_event_bytes", event("Big", {{"blob", std::string(300, 'x')}})},
      {"metadata over max_event_bytes", event("Big", json::object(), {{"blob", std::string(300, 'x')}})},
      {"event id not a uuid", event("Bad", json::object(), nullptr, "not-a-uuid")},
      {"uppercase event id", event("Bad", json::object(), nullptr, "7D0A1C2E-3B4F-4A5B-9C6D-7E8F9A0B1C2D")},
      {"an event id used twice in the batch", event("Again", json::object(), nullptr, kEventId3)},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    std::vector<NewEvent> batch = numbered_events(2, 10);
    batch.push_back(c.bad);
    batch.push_back(event("AfterTheBadOne", {{"n", 99}}, nullptr, kEventId3));
    CHECK_THROWS_AS(client.save("order", kOrderId, batch, 1), InvalidArgument);
    CHECK_THROWS_AS(client.save("order", kOrderId, batch, ExpectedVersion::any()), InvalidArgument);
    CHECK(event_count(client) == 1);
  }
  CHECK_THROWS_AS(client.save("order", kOrderId, {}, 1), InvalidArgument);
  CHECK(versions(client.load("order", kOrderId)) == std::vector<std::int64_t>{0});
  // Still writable at the version nothing moved, and kEventId3 is still free.
  CHECK(client.save("order", kOrderId, {event("Fine", json::object(), nullptr, kEventId3)}, 1).at(0).version == 1);
}

TEST_CASE("text the database cannot hold is refused as bad input, writing nothing") {
  // PostgreSQL text and jsonb hold neither NUL characters nor invalid UTF-8.
  Client client = connect(fresh_database(AggregateIdType::kText));
  struct Case {
    const char* name;
    NewEvent bad;
  };
  const std::vector<Case> cases = {
      {"NUL in a json string", event("Bad", {{"text", std::string("a\0b", 3)}})},
      {"NUL in a json key", event("Bad", {{std::string("k\0", 2), 1}})},
      {"NUL in metadata", event("Bad", json::object(), {{"text", std::string("\0", 1)}})},
      {"invalid UTF-8 in a json string", event("Bad", {{"text", "\xff\xfe"}})},
      {"invalid UTF-8 in metadata", event("Bad", json::object(), {{"text", "\xc3"}})},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CHECK_THROWS_AS(client.save("order", "o1", {event("Fine"), c.bad}, 0), InvalidArgument);
  }
  for (const std::string id : {"\xff", "order-\xc3"}) {
    CAPTURE(id);
    CHECK_THROWS_AS(client.save("order", id, {event("Fine")}, 0), InvalidArgument);
    CHECK_THROWS_AS(client.load("order", id), InvalidArgument);
  }
  CHECK(event_count(client) == 0);
}

TEST_CASE("max_event_bytes is the limit, not below it") {
  const json payload = {{"blob", std::string(50, 'x')}};
  const std::size_t size = payload.dump().size();  // absent metadata counts nothing
  const std::string dsn = testing::fresh_database();
  Client below_limit = connect(dsn, size - 1);
  CHECK_THROWS_AS(below_limit.save("order", kOrderId, {event("TooBig", payload)}, 0), InvalidArgument);
  CHECK(event_count(below_limit) == 0);
  Client at_limit = connect(dsn, size);
  CHECK(at_limit.save("order", kOrderId, {event("Fits", payload)}, 0).size() == 1);
}

TEST_CASE("a conflicting batch writes nothing") {
  Client client = connect(testing::fresh_database());
  client.save("order", kOrderId, numbered_events(2), 0);
  std::vector<NewEvent> batch = numbered_events(5, 100);
  batch[3].event_id = kEventId1;
  for (ExpectedVersion wrong : {ExpectedVersion(0), ExpectedVersion(1), ExpectedVersion(3)}) {
    CAPTURE(wrong.to_string());
    conflict_from([&] { client.save("order", kOrderId, batch, wrong); });
    CHECK(event_count(client) == 2);
    CHECK(scalar(client, "SELECT version FROM meowmx.aggregates") == 2);
  }
  // The conflicting batch's event id was not recorded either: it can be used now.
  CHECK(versions(client.save("order", kOrderId, batch, 2)) == range(2, 7));
}

// ---------------------------------------------------------------------------
// Idempotent retries

TEST_CASE("saving the same batch again returns the recorded events and writes nothing") {
  Client client = connect(testing::fresh_database());
  const std::vector<NewEvent> batch = {event("OrderPlaced", {{"n", 1}}, nullptr, kEventId1),
                                       event("ItemAdded", {{"n", 2}}, {{"correlation_id", "c"}}, kEventId2)};
  const auto first = client.save("order", kOrderId, batch, 0);
  REQUIRE(versions(first) == range(0, 2));

  check_same_recorded(client.save("order", kOrderId, batch, 0), first);
  check_same_recorded(client.save("order", kOrderId, batch, ExpectedVersion::any()), first);
  CHECK(event_count(client) == 2);

  // Even after the aggregate moved on, at versions that would now conflict.
  CHECK(versions(client.save("order", kOrderId, numbered_events(3), ExpectedVersion::any())) == range(2, 5));
  for (std::int64_t version : {0, 2, 5, 9}) {
    CAPTURE(version);
    check_same_recorded(client.save("order", kOrderId, batch, version), first);
  }
  check_same_recorded(client.save("order", kOrderId, batch, ExpectedVersion::any()), first);
  CHECK(event_count(client) == 5);
  CHECK(versions(client.load("order", kOrderId)) == range(0, 5));  // the version did not move either
}

TEST_CASE("reusing a recorded event id in another write is a VersionConflict that writes nothing") {
  Client client = connect(testing::fresh_database());
  client.save("order", kOrderId, {event("OrderPlaced", json::object(), nullptr, kEventId1)}, 0);
  const auto reuse = [&](const char* what, const std::string& type, const std::string& id,
                         const std::vector<NewEvent>& batch) {
    CAPTURE(what);
    for (ExpectedVersion version : {ExpectedVersion(0), ExpectedVersion(1), ExpectedVersion::any()}) {
      CAPTURE(version.to_string());
      conflict_from([&] { client.save(type, id, batch, version); });
    }
    CHECK(event_count(client) == 1);
    CHECK(aggregate_count(client) == 1);
  };

  reuse("for a different aggregate", "order", kOtherOrderId,
        {event("OrderPlaced", json::object(), nullptr, kEventId1)});
  reuse("for another aggregate type with the same id", "invoice", kOrderId,
        {event("InvoiceSent", json::object(), nullptr, kEventId1)});
  reuse("in a batch that mixes it with a new id", "order", kOrderId,
        {event("ItemAdded", json::object(), nullptr, kEventId2), event("OrderPlaced", json::object(), nullptr, kEventId1)});
  CHECK(client.load("order", kOtherOrderId).empty());
  // The new id of the refused batch was not recorded: it is still free.
  CHECK(client.save("order", kOrderId, {event("ItemAdded", json::object(), nullptr, kEventId2)}, 1).size() == 1);
}

// ---------------------------------------------------------------------------
// The Aggregate helper

namespace {

class Order : public Aggregate {
 public:
  explicit Order(std::string id) : Aggregate("order", std::move(id)) {}

  void place(const std::string& customer) {
    if (placed_) throw std::logic_error("already placed");
    record(event("OrderPlaced", {{"customer", customer}}));
  }
  void add_item(const std::string& sku, int quantity) {
    if (!placed_) throw std::logic_error("not placed");
    record(event("ItemAdded", {{"sku", sku}, {"quantity", quantity}}));
  }

  bool placed() const { return placed_; }
  const std::string& customer() const { return customer_; }
  const std::map<std::string, int>& items() const { return items_; }

 protected:
  void apply(const std::string& event_type, const json& data) override {
    if (event_type == "OrderPlaced") {
      placed_ = true;
      customer_ = data.at("customer").get<std::string>();
    } else if (event_type == "ItemAdded") {
      items_[data.at("sku").get<std::string>()] += data.at("quantity").get<int>();
    }
  }
  void reset() override {
    placed_ = false;
    customer_.clear();
    items_.clear();
  }

 private:
  bool placed_ = false;
  std::string customer_;
  std::map<std::string, int> items_;
};

}  // namespace

TEST_CASE("Aggregate: recorded events apply at once and are saved at the aggregate's version") {
  Client client = connect(testing::fresh_database());
  Order order(kOrderId);
  order.place("c1");
  order.add_item("apple", 2);
  CHECK(order.placed());
  CHECK(order.items().at("apple") == 2);
  CHECK(order.version() == 0);
  CHECK(order.pending_events().size() == 2);

  client.save(order);
  CHECK(order.version() == 2);
  CHECK(order.pending_events().empty());
  client.save(order);  // nothing pending: a no-op
  CHECK(event_count(client) == 2);

  order.add_item("apple", 1);
  client.save(order);
  CHECK(order.version() == 3);

  Order loaded(kOrderId);
  client.load(loaded);
  CHECK(loaded.version() == 3);
  CHECK(loaded.pending_events().empty());
  CHECK(loaded.customer() == "c1");
  CHECK(loaded.items() == std::map<std::string, int>{{"apple", 3}});
}

TEST_CASE("Aggregate: a VersionConflict keeps version and pending events; reload and retry succeeds") {
  Client client = connect(testing::fresh_database());
  Order setup(kOrderId);
  setup.place("c1");
  client.save(setup);

  Order mine(kOrderId), theirs(kOrderId);
  client.load(mine);
  client.load(theirs);
  theirs.add_item("pear", 1);
  client.save(theirs);  // version 1 -> 2

  mine.add_item("apple", 5);
  const auto conflict = conflict_from([&] { client.save(mine); });
  CHECK(conflict.expected() == 1);
  CHECK(conflict.actual() == 2);
  CHECK(mine.version() == 1);
  REQUIRE(mine.pending_events().size() == 1);
  CHECK(mine.pending_events()[0].json == json{{"sku", "apple"}, {"quantity", 5}});
  CHECK(mine.items() == std::map<std::string, int>{{"apple", 5}});

  client.load(mine);  // fresh: the stored state, nothing pending
  CHECK(mine.version() == 2);
  CHECK(mine.pending_events().empty());
  CHECK(mine.items() == std::map<std::string, int>{{"pear", 1}});

  mine.add_item("apple", 5);  // retry the command
  client.save(mine);
  CHECK(mine.version() == 3);

  Order check(kOrderId);
  client.load(check);
  CHECK(check.items() == std::map<std::string, int>{{"apple", 5}, {"pear", 1}});
  CHECK(versions(client.load("order", kOrderId)) == range(0, 3));
}

// ---------------------------------------------------------------------------
// Set-up

namespace {

struct MigrationRow {
  int number;
  std::string name;
  std::string applied_at;
  bool operator==(const MigrationRow&) const = default;
};

std::vector<MigrationRow> recorded_migrations(Client& client) {
  pqxx::nontransaction tx(client.connection());
  std::vector<MigrationRow> rows;
  for (const auto& row : tx.exec("SELECT number, name, applied_at::text FROM meowmx.migrations ORDER BY number")) {
    rows.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>()});
  }
  return rows;
}

// The numbered files in sql/, as (number, name without extension).
std::vector<std::pair<int, std::string>> migration_files() {
  std::vector<std::pair<int, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(MEOWMX_SQL_DIR)) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() != ".sql" || !std::regex_match(stem, std::regex(R"(\d{3}_.+)"))) continue;
    files.emplace_back(std::stoi(stem.substr(0, 3)), stem);
  }
  std::sort(files.begin(), files.end());
  return files;
}

void check_all_migrations_recorded(Client& client) {
  const auto rows = recorded_migrations(client);
  const auto files = migration_files();
  REQUIRE_FALSE(files.empty());
  REQUIRE(rows.size() == files.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].number == files[i].first);
    CHECK(rows[i].name == files[i].second);
  }
}

std::string unset_database() { return testing::fresh_database(testing::DatabaseOptions{false, std::nullopt}); }

}  // namespace

TEST_CASE("setup records every migration of sql/, defaults to uuid ids and is idempotent") {
  Client client = connect(unset_database());
  client.setup();
  CHECK(client.aggregate_id_type() == AggregateIdType::kUuid);
  check_all_migrations_recorded(client);
  const auto after_first = recorded_migrations(client);
  client.save("order", kOrderId, numbered_events(2), 0);

  client.setup();
  client.setup(SetupOptions{AggregateIdType::kUuid});
  CHECK(recorded_migrations(client) == after_first);  // nothing applied again
  CHECK(client.aggregate_id_type() == AggregateIdType::kUuid);
  CHECK(event_count(client) == 2);  // and nothing lost
  CHECK(client.save("order", kOrderId, numbered_events(1), 2).size() == 1);
}

TEST_CASE("setup from several clients at once applies each migration once") {
  const std::string dsn = unset_database();
  constexpr int kClients = 4;
  std::vector<Client> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(connect(dsn));
  std::vector<std::string> errors(kClients);
  std::latch start(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        clients[static_cast<std::size_t>(i)].setup(SetupOptions{AggregateIdType::kText});
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& error : errors) CHECK(error.empty());
  check_all_migrations_recorded(clients[0]);
  CHECK(clients[1].aggregate_id_type() == AggregateIdType::kText);
  CHECK(clients[2].save("order", "text-id", numbered_events(1), 0).size() == 1);
}

TEST_CASE("setup keeps the aggregate id type of an existing schema") {
  const auto installed = AggregateIdType::kText;
  Client client = connect(fresh_database(installed));
  const auto migrations = recorded_migrations(client);
  for (auto other : {AggregateIdType::kUuid, AggregateIdType::kBigint}) {
    const std::string other_name(to_string(other));
    CAPTURE(other_name);
    CHECK_THROWS_AS(client.setup(SetupOptions{other}), InvalidArgument);
    CHECK(client.aggregate_id_type() == installed);
  }
  client.setup(SetupOptions{installed});  // the same type again is fine
  client.setup();                         // and so is not asking
  CHECK(client.aggregate_id_type() == installed);
  CHECK(recorded_migrations(client) == migrations);
}

TEST_CASE("aggregate id type names: the three known ones round-trip, anything else is refused") {
  for (auto type : {AggregateIdType::kUuid, AggregateIdType::kText, AggregateIdType::kBigint}) {
    CHECK(parse_aggregate_id_type(to_string(type)) == type);
  }
  for (const char* bad : {"", "varchar", "int", "uuid ", "uuid; drop table meowmx.events"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_aggregate_id_type(bad), InvalidArgument);
  }
}

TEST_CASE("using a database that was never set up is a clear error, not a crash") {
  Client client = connect(unset_database());
  CHECK_THROWS_AS(client.save("order", kOrderId, numbered_events(1), 0), Error);
  CHECK_THROWS_AS(client.load("order", kOrderId), Error);
}

namespace {

// Sends what the process writes to a file descriptor into a temporary file
// while alive; text() reads it back.
class CapturedFd {
 public:
  explicit CapturedFd(int fd) : fd_(fd), saved_(dup(fd)), file_(std::tmpfile()) {
    std::fflush(nullptr);
    dup2(fileno(file_), fd_);
  }
  ~CapturedFd() {
    release();
    std::fclose(file_);
  }
  std::string text() {
    release();
    std::string out;
    std::rewind(file_);
    for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_)) out += static_cast<char>(c);
    return out;
  }

 private:
  void release() {
    if (saved_ < 0) return;
    std::fflush(nullptr);
    dup2(saved_, fd_);
    close(saved_);
    saved_ = -1;
  }
  int fd_;
  int saved_;
  std::FILE* file_;
};

}  // namespace

TEST_CASE("the library logs on stderr, leaving stdout to the program") {
  const std::string dsn = unset_database();
  const auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::info);
  std::string out;
  std::string err;
  {
    CapturedFd captured_out(STDOUT_FILENO);
    CapturedFd captured_err(STDERR_FILENO);
    connect(dsn).setup();  // logs each migration it applies, at info
    if (auto logger = spdlog::get("meowmx")) logger->flush();
    out = captured_out.text();
    err = captured_err.text();
  }
  spdlog::set_level(level);
  CHECK(out.empty());
  CHECK(err.find("applying migration 001_event_store") != std::string::npos);
}

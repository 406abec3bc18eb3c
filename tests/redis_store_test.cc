// The Redis event store through the C++ API and `meowmx redis-store`, on a
// throwaway redis-server: forward-only scores, inclusive ranges across
// namespaces, TTLs, the midnight case under an injected UTC clock, and any
// bytes as a primary key.
#include <catch2/catch.hpp>

#include <chrono>

#include "meowmx/error.h"
#include "meowmx/redis_store.h"
#include "redis/connection.h"
#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/servers/redis_server.h"

using namespace meowmx;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// 2026-12-01T00:00:00Z.
constexpr RedisTime kDay1{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}};

// A store with its own namespace (tests share the server, never keys).
RedisEventStore store_at(const std::string& name, RedisClock clock = redis_now,
                         std::chrono::seconds ttl = std::chrono::hours(72)) {
  return RedisEventStore({.connection = {.url = testing::binary_redis_server().url()},
                          .namespace_pattern = "test:" + name + ":%Y%m%d",
                          .ttl = ttl,
                          .clock = std::move(clock)});
}

internal::RedisConnection raw() { return internal::RedisConnection(testing::binary_redis_server().url(), 5s); }

RedisTime at(std::chrono::milliseconds since_day1) { return kDay1 + since_day1; }

std::vector<std::string> pks(const std::vector<StoredKey>& keys) {
  std::vector<std::string> out;
  for (const auto& key : keys) out.push_back(key.pk);
  return out;
}

}  // namespace

TEST_CASE("redis store: a score only moves forward", "[redis]") {
  auto store = store_at("forward");
  CHECK(store.add("orders_update", "1", at(10'500ms)));
  CHECK_FALSE(store.add("orders_update", "1", at(5'000ms)));
  CHECK(store.query("orders_update", "1", kDay1) == at(10'500ms));
  CHECK(store.add("orders_update", "1", at(20'001ms)));
  CHECK(store.query("orders_update", "1", kDay1) == at(20'001ms));
  // Stored as seconds with a millisecond fraction, under <namespace>:<event>.
  auto redis = raw();
  const auto score = redis.command("score", {"ZSCORE", "test:forward:20261201:orders_update", "1"});
  CHECK(redis_time_from_score(score.text()) == at(20'001ms));
}

TEST_CASE("redis store: replay ranges are inclusive and ordered by time", "[redis]") {
  auto store = store_at("inclusive", [] { return at(std::chrono::hours(1)); });
  store.add("t_write", "b", at(2'000ms));
  store.add("t_write", "a", at(1'000ms));
  store.add("t_write", "c", at(3'000ms));
  CHECK(pks(store.replay("t_write", at(1'000ms), at(3'000ms))) == std::vector<std::string>{"a", "b", "c"});
  CHECK(pks(store.replay("t_write", at(1'001ms), at(2'999ms))) == std::vector<std::string>{"b"});
  CHECK(store.replay("t_write", at(2'000ms), at(2'000ms)) == std::vector<StoredKey>{{"b", at(2'000ms)}});
  // `to` defaults to the clock's now.
  CHECK(store.replay("t_write", kDay1).size() == 3);
  CHECK_THROWS_AS(store.replay("t_write", at(2'000ms), at(1'000ms)), InvalidArgument);
}

TEST_CASE("redis store: a range over three days replays from three keys, in order", "[redis]") {
  auto store = store_at("three_days", [] { return at(std::chrono::hours(24 * 5)); });
  store.add("t_update", "day3", at(std::chrono::hours(48) + 1h));
  store.add("t_update", "day1", at(23h));
  store.add("t_update", "day2", at(std::chrono::hours(24) + 2h));
  store.add("t_update", "again", at(1h));
  store.add("t_update", "again", at(std::chrono::hours(48) + 2h));
  auto redis = raw();
  for (const char* day : {"20261201", "20261202", "20261203"}) {
    INFO(day);
    CHECK(redis.command("exists", {"EXISTS", std::string("test:three_days:") + day + ":t_update"}).integer() == 1);
  }
  const auto replayed = store.replay("t_update", kDay1, at(std::chrono::hours(72) - 1ms));
  // A key changed on two days comes once, with its latest time.
  CHECK(pks(replayed) == std::vector<std::string>{"day1", "day2", "day3", "again"});
  CHECK(replayed.back().time == at(std::chrono::hours(50)));
  CHECK(pks(store.replay("t_update", at(std::chrono::hours(24)), at(std::chrono::hours(48)))) ==
        std::vector<std::string>{"day2"});
}

TEST_CASE("redis store: query looks across namespaces from `since` to now", "[redis]") {
  auto store = store_at("query", [] { return at(std::chrono::hours(24 * 2) + 5h); });
  store.add("t_delete", "7", at(3h));
  CHECK(store.query("t_delete", "7", kDay1) == at(3h));
  CHECK(store.query("t_delete", "7", at(3h)) == at(3h));
  CHECK(store.query("t_delete", "7", at(3h + 1ms)) == std::nullopt);
  CHECK(store.query("t_delete", "8", kDay1) == std::nullopt);
}

TEST_CASE("redis store: every key written has the TTL and is gone after it", "[redis]") {
  auto store = store_at("ttl");
  store.add("t_write", "1");
  auto redis = raw();
  const std::string key = store.key("t_write", redis_now());
  const long long ttl = redis.command("ttl", {"TTL", key}).integer();
  CHECK(ttl > 0);
  CHECK(ttl <= 72 * 3600);

  auto short_lived = store_at("ttl_short", redis_now, 1s);
  short_lived.add("t_write", "1");
  const std::string short_key = short_lived.key("t_write", redis_now());
  CHECK(redis.command("ttl", {"TTL", short_key}).integer() > 0);
  testing::wait_until("the key expired", 10s, [&] {
    return redis.command("exists", {"EXISTS", short_key}).integer() == 0;
  });
  CHECK(short_lived.query("t_write", "1", redis_now() - 1h) == std::nullopt);
}

TEST_CASE("redis store: the namespace comes from the score's own UTC instant (midnight)", "[redis]") {
  RedisTime now = kDay1 - 1ms;  // 2026-11-30T23:59:59.999Z
  auto store = store_at("midnight", [&now] { return now; });
  store.add("t_write", "before");
  now = kDay1;
  store.add("t_write", "after");
  auto redis = raw();
  const auto score = [&](const std::string& key, const std::string& pk) {
    return redis_time_from_score(redis.command("zscore", {"ZSCORE", key, pk}).text());
  };
  CHECK(score("test:midnight:20261130:t_write", "before") == kDay1 - 1ms);
  CHECK(score("test:midnight:20261201:t_write", "after") == kDay1);
  CHECK(redis.command("zscore", {"ZSCORE", "test:midnight:20261201:t_write", "before"}).is_nil());
  CHECK(pks(store.replay("t_write", kDay1 - 1h)) == std::vector<std::string>{"before", "after"});
}

TEST_CASE("redis store: any bytes are a primary key, and clear removes one namespace's key", "[redis]") {
  auto store = store_at("bytes", [] { return at(1h); });
  const std::string odd = std::string("a b\n%s\r\n$3\r\n\0zero", 17);
  const std::string composite = R"([1,"x"])";
  store.add("t_write", odd, at(1h - 2ms));
  store.add("t_write", composite, at(1h - 1ms));
  CHECK(pks(store.replay("t_write", kDay1)) == std::vector<std::string>{odd, composite});
  CHECK(store.clear("t_write", at(1h)));
  CHECK_FALSE(store.clear("t_write", at(1h)));
  CHECK(store.replay("t_write", kDay1).empty());
  CHECK_THROWS_AS(store.add("", "1"), InvalidArgument);
}

TEST_CASE("redis store: bad options and an unreachable server are clear errors without the password",
          "[redis]") {
  CHECK_THROWS_AS(RedisEventStore({.connection = {.url = "http://x"}}), InvalidArgument);
  CHECK_THROWS_AS(RedisEventStore({.connection = {.url = testing::binary_redis_server().url()}, .namespace_pattern = "x:%S"}),
                  InvalidArgument);
  CHECK_THROWS_AS(RedisEventStore({.connection = {.url = testing::binary_redis_server().url()}, .ttl = 0s}), InvalidArgument);
  const std::string url = "redis://me:s3cret-pw@127.0.0.1:" + std::to_string(testing::free_loopback_port());
  try {
    RedisEventStore store({.connection = {.url = url}});
    FAIL("connected to nothing");
  } catch (const ConnectionError& e) {
    CHECK(std::string(e.what()).find("s3cret-pw") == std::string::npos);
    CHECK(std::string(e.what()).find("127.0.0.1") != std::string::npos);
  }
  try {
    RedisEventStore store({.connection = {.url = "redis://me:s3cret-pw@127.0.0.1:99999"}});
    FAIL("took a bad port");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()).find("s3cret-pw") == std::string::npos);
    CHECK(std::string(e.what()).find("redis://me:***@127.0.0.1:99999") != std::string::npos);
  }
}

TEST_CASE("redis store: a password-protected server", "[redis]") {
  testing::RedisServer locked({.password = "pw-123"});
  RedisEventStore store({.connection = {.url = locked.url()}});
  CHECK(store.add("t_write", "1"));
  const std::string wrong = "redis://:wrong-pw@127.0.0.1:" + std::to_string(locked.port());
  try {
    RedisEventStore refused({.connection = {.url = wrong}});
    FAIL("a wrong password was taken");
  } catch (const ConnectionError& e) {
    CHECK(std::string(e.what()).find("wrong-pw") == std::string::npos);
  }
}

TEST_CASE("meowmx redis-store: add, replay, query and clear as JSON lines", "[redis][cli]") {
  const std::vector<std::string> common = {"--redis-url", testing::binary_redis_server().url(), "--namespace", "test:cli:%Y%m%d"};
  const auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return testing::run_cli(args);
  };
  auto added = run({"redis-store", "add", "orders_update", "42", "--ts", "1764547200.5"});
  REQUIRE(added.exit_code == 0);
  CHECK(added.json_lines().at(0) ==
        json{{"event", "orders_update"}, {"pk", "42"}, {"key", "test:cli:20251201:orders_update"},
             {"ts", 1764547200.5}, {"changed", true}});
  REQUIRE(run({"redis-store", "add", "orders_update", "[1,\"a\"]", "--ts", "1764547201"}).exit_code == 0);
  CHECK(run({"redis-store", "add", "orders_update", "42", "--ts", "1764547200.1"}).json_lines().at(0)["changed"] ==
        false);

  auto replayed = run({"redis-store", "replay", "orders_update", "--from", "1764547200", "--to", "1764633600",
                       "--with-ts"});
  REQUIRE(replayed.exit_code == 0);
  CHECK(replayed.json_lines() == std::vector<json>{{{"pk", "42"}, {"ts", 1764547200.5}},
                                                   {{"pk", "[1,\"a\"]"}, {"ts", 1764547201.0}}});
  CHECK(run({"redis-store", "replay", "orders_update", "--from", "1764547200.6", "--to", "1764633600"})
            .json_lines() == std::vector<json>{{{"pk", "[1,\"a\"]"}}});

  auto queried = run({"redis-store", "query", "orders_update", "42", "--since", "1764547000"});
  REQUIRE(queried.exit_code == 0);
  CHECK(queried.json_lines().at(0) == json{{"event", "orders_update"}, {"pk", "42"}, {"ts", 1764547200.5}});
  CHECK(run({"redis-store", "query", "orders_update", "43", "--since", "1764547000"}).json_lines().at(0)["ts"] ==
        nullptr);

  auto cleared = run({"redis-store", "clear", "orders_update", "--ts", "1764547200"});
  REQUIRE(cleared.exit_code == 0);
  CHECK(cleared.json_lines().at(0)["cleared"] == true);
  CHECK(run({"redis-store", "replay", "orders_update", "--from", "1764547200", "--to", "1764633600"})
            .out.empty());
}

TEST_CASE("meowmx redis-store: bad input exits 2, no server exits 4, never with the password", "[redis][cli]") {
  auto bad_ts = testing::run_cli({"redis-store", "add", "t_write", "1", "--ts", "yesterday", "--redis-url",
                                  testing::binary_redis_server().url()});
  CHECK(bad_ts.exit_code == 2);
  CHECK(bad_ts.err.find("yesterday") != std::string::npos);
  auto bad_url = testing::run_cli({"redis-store", "add", "t_write", "1", "--redis-url", "redis://u:pw-x@h:0"});
  CHECK(bad_url.exit_code == 2);
  CHECK(bad_url.err.find("pw-x") == std::string::npos);
  const std::string down = "redis://u:pw-y@127.0.0.1:" + std::to_string(testing::free_loopback_port());
  auto unreachable = testing::run_cli({"redis-store", "add", "t_write", "1", "--redis-url", down});
  CHECK(unreachable.exit_code == 4);
  CHECK(unreachable.err.find("pw-y") == std::string::npos);
  CHECK(std::count(unreachable.err.begin(), unreachable.err.end(), '\n') == 1);
}

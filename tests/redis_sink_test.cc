// `pub --sink redis` and the redis sink in a Pub, from PostgreSQL logical
// decoding into a throwaway redis-server (append-only, so it keeps its data
// across its own restart): meepo's example lands as the documented keys,
// and nothing is lost to a kill -9 of the pub, a crash of PostgreSQL or a
// restart of Redis mid-stream.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "meowmx/redis_store.h"
#include "redis/connection.h"
#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/running_pub.h"
#include "support/servers/redis_server.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

std::string unique(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// A fixed namespace per test: no test depends on the day it runs.
struct Target {
  std::string slot = unique("redis_sink_");
  std::string space = unique("test:sink");
};

long long zcard(const std::string& key) {
  try {
    internal::RedisConnection redis(testing::binary_redis_server().url(), 2s);
    return redis.command("zcard", {"ZCARD", key}).integer();
  } catch (const ConnectionError&) {
    return -1;  // restarting
  }
}

std::vector<std::string> members(const std::string& key) {
  internal::RedisConnection redis(testing::binary_redis_server().url(), 2s);
  const auto reply = redis.command("zrange", {"ZRANGE", key, "0", "-1"});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < reply.size(); ++i) out.emplace_back(reply.element_text(i));
  std::sort(out.begin(), out.end());
  return out;
}

void insert_ledger(const std::string& dsn, int transactions, int rows, int first_id) {
  pqxx::connection connection(dsn);
  for (int t = 0; t < transactions; ++t) {
    pqxx::work tx(connection);
    const int from = first_id + t * rows;
    tx.exec_params0("INSERT INTO ledger SELECT i, 1 FROM generate_series($1::bigint, $2::bigint) i", from,
                    from + rows - 1);
    tx.commit();
  }
}

std::vector<std::unique_ptr<Sink>> redis_sink_for(const Target& target) {
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(make_redis_sink(
      {.store = {.connection = {.url = testing::binary_redis_server().url(), .timeout = 2s}, .namespace_pattern = target.space}}));
  return sinks;
}

PostgresSource source_for(const std::string& dsn, const Target& target) {
  return {.dsn = dsn, .tables = {"ledger"}, .slot = target.slot, .publication = "", .once = false, .status_interval = 200ms};
}

// The position stored for the target's stream (its field ends with the slot's name).
std::optional<std::string> resume_point(const Target& target) {
  internal::RedisConnection redis(testing::binary_redis_server().url(), 2s);
  const auto positions = redis.command("hgetall", {"HGETALL", "meowmx:positions"});
  for (std::size_t i = 0; i + 1 < positions.size(); i += 2) {
    if (positions.element_text(i).ends_with("/" + target.slot)) return std::string(positions.element_text(i + 1));
  }
  return std::nullopt;
}

// A database with a ledger table and the target's slot, from which on changes are captured.
std::string ledger_with_slot(const Target& target) {
  const auto dsn = testing::fresh_database({.setup = false, .aggregate_id_type = std::nullopt});
  testing::sql(dsn, "CREATE TABLE ledger (id bigint PRIMARY KEY, amount int)");
  auto source = source_for(dsn, target);
  source.once = true;
  SignalBus bus;
  Pub({.source = source}, bus).run();
  return dsn;
}

// Waits until `key` holds `rows` members, failing at once if the pub gave up.
void await_members(const testing::RunningPub& pub, const std::string& key, long long rows, const std::string& what) {
  testing::wait_until(what, 120s, [&] {
    pub.rethrow_if_failed();
    return zcard(key) == rows;
  });
}

}  // namespace

TEST_CASE("pub --sink redis: meepo's example SQL lands as <namespace>:<table>_<action> keys", "[redis]") {
  const auto dsn = testing::fresh_database({.setup = false, .aggregate_id_type = std::nullopt});
  testing::sql(dsn, "CREATE TABLE test (id serial PRIMARY KEY, data text)");
  const Target target;
  const std::vector<std::string> pub = {"--dsn", dsn, "pub", "--tables", "test", "--slot", target.slot, "--once",
                                        "--sink", "redis", "--redis-url", testing::binary_redis_server().url(),
                                        "--redis-namespace", target.space};
  REQUIRE(testing::run_cli(pub).exit_code == 0);  // creates the slot
  testing::sql(dsn,
               "INSERT INTO test (data) VALUES ('a');"
               "INSERT INTO test (data) VALUES ('b'), ('c'), ('d');"
               "UPDATE test SET data = 'aa' WHERE id = 1;"
               "UPDATE test SET data = 'bb' WHERE id = 2;"
               "UPDATE test SET data = 'cc' WHERE id != 1;"
               "DELETE FROM test WHERE id != 1;"
               "DELETE FROM test WHERE id = 1;");
  const auto run = testing::run_cli(pub);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> all = {"1", "2", "3", "4"};
  CHECK(members(target.space + ":test_write") == all);
  CHECK(members(target.space + ":test_update") == all);
  CHECK(members(target.space + ":test_delete") == all);
  internal::RedisConnection redis(testing::binary_redis_server().url(), 2s);
  CHECK(redis.command("ttl", {"TTL", target.space + ":test_write"}).integer() > 0);
  // The scores are the commit times: the delete of 1 came last.
  const auto score = [&](const std::string& key, const std::string& pk) {
    return redis_time_from_score(redis.command("zscore", {"ZSCORE", key, pk}).text());
  };
  CHECK(score(target.space + ":test_delete", "1") >= score(target.space + ":test_delete", "4"));
  CHECK(score(target.space + ":test_write", "1") <= score(target.space + ":test_write", "2"));
  CHECK(redis_now() - score(target.space + ":test_delete", "1") < 10min);
  // The resume point, in the stream's field of meowmx:positions.
  const auto position = resume_point(target);
  REQUIRE(position);
  CHECK_NOTHROW(parse_transaction_position(*position));
  testing::run_cli({"--dsn", dsn, "pub-drop", "--slot", target.slot});
}

TEST_CASE("pub --sink redis: kill -9 of the pub mid-stream loses nothing", "[redis]") {
  const auto dsn = testing::fresh_database({.setup = false, .aggregate_id_type = std::nullopt});
  testing::sql(dsn, "CREATE TABLE ledger (id bigint PRIMARY KEY, amount int)");
  const Target target;
  const std::vector<std::string> pub = {"--dsn", dsn, "pub", "--tables", "ledger", "--slot", target.slot,
                                        "--sink", "redis", "--redis-url", testing::binary_redis_server().url(),
                                        "--redis-namespace", target.space, "--status-interval", "0.2"};
  auto once = pub;
  once.push_back("--once");
  REQUIRE(testing::run_cli(once).exit_code == 0);  // creates the slot
  insert_ledger(dsn, 200, 100, 1);
  const std::string key = target.space + ":ledger_write";
  {
    testing::CliProcess running(pub);
    testing::wait_until("the pub is storing", 60s, [&] { return zcard(key) > 0; });
    running.send_signal(SIGKILL);
    running.wait();
  }
  REQUIRE(zcard(key) < 20000);  // killed mid-stream
  const auto resumed = testing::run_cli(once);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(zcard(key) == 20000);
  testing::run_cli({"--dsn", dsn, "pub-drop", "--slot", target.slot});
}

TEST_CASE("redis sink: PostgreSQL crashing (immediate restart) under load loses nothing", "[redis]") {
  const Target target;
  const auto dsn = ledger_with_slot(target);
  SignalBus bus;
  testing::RunningPub pub({.source = source_for(dsn, target), .max_retry_wait = 500ms}, redis_sink_for(target), bus);
  insert_ledger(dsn, 100, 100, 1);
  const std::string key = target.space + ":ledger_write";
  testing::wait_until("the pub is storing", 60s, [&] {
    pub.rethrow_if_failed();
    return zcard(key) > 0;
  });
  const auto port = testing::cluster().port();
  testing::cluster().kill();
  testing::cluster().start();
  REQUIRE(testing::cluster().port() == port);
  insert_ledger(dsn, 50, 100, 10001);
  await_members(pub, key, 15000, "every row is stored after the crash");
  pub.stop();
  pub_drop(dsn, target.slot);
}

TEST_CASE("redis sink: a 25,000-row transaction goes in pieces, its resume point with the last", "[redis]") {
  const Target target;
  const auto dsn = ledger_with_slot(target);
  insert_ledger(dsn, 1, 25000, 1);
  auto source = source_for(dsn, target);
  source.once = true;
  SignalBus bus;
  Pub pub({.source = source}, bus);
  for (auto& sink : redis_sink_for(target)) pub.add_sink(std::move(sink));
  pub.run();
  CHECK(zcard(target.space + ":ledger_write") == 25000);
  const auto position = resume_point(target);
  REQUIRE(position);
  CHECK(std::get<LsnPosition>(parse_transaction_position(*position)).end_lsn > 0);
  pub_drop(dsn, target.slot);
}

TEST_CASE("redis sink: Redis restarted mid-stream, the pub waits and goes on", "[redis]") {
  const Target target;
  const auto dsn = ledger_with_slot(target);
  SignalBus bus;
  testing::RunningPub pub({.source = source_for(dsn, target), .max_retry_wait = 500ms}, redis_sink_for(target), bus);
  const std::string key = target.space + ":ledger_write";
  insert_ledger(dsn, 50, 100, 1);
  await_members(pub, key, 5000, "the first rows are stored");
  testing::binary_redis_server().kill();
  insert_ledger(dsn, 50, 100, 5001);  // while Redis is down
  testing::binary_redis_server().start();
  insert_ledger(dsn, 50, 100, 10001);
  await_members(pub, key, 15000, "every row is stored after the restart");
  CHECK_FALSE(pub.finished());
  pub.stop();
  pub_drop(dsn, target.slot);
}

// Prepare-commit on a real PostgreSQL and a throwaway redis-server: the
// happy path, rollbacks, writers killed (SIGKILL at the exact step) before
// and after their database commit or held open at their prepare,
// `meowmx redis-recover` (into the store and to a ZeroMQ SUB socket), and
// the strict and lenient modes with Redis down.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <functional>

#include <pqxx/pqxx>
#include <zmq.hpp>

#include "meowmx/error.h"
#include "meowmx/redis_store.h"
#include "redis/connection.h"
#include "redis/key_space.h"
#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/servers/redis_server.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Namespaces of one test: records and store keys apart from the others'.
struct Names {
  std::string records;
  std::string store;
};

Names unique_names() {
  static std::atomic<int> counter{0};
  const std::string n = std::to_string(++counter);
  return {"test:pc" + n + ":%Y%m%d", "test:es" + n + ":%Y%m%d"};
}

PrepareCommitOptions options_for(const Names& names, const std::string& url = testing::binary_redis_server().url()) {
  PrepareCommitOptions options;
  options.store.connection.url = url;
  options.store.namespace_pattern = names.store;
  options.namespace_pattern = names.records;
  return options;
}

std::string orders_database() {
  const auto dsn = testing::fresh_database({.setup = false, .aggregate_id_type = std::nullopt});
  testing::sql(dsn, "CREATE TABLE orders (id bigint PRIMARY KEY)");
  return dsn;
}

std::vector<std::string> stored(const Names& names, const std::string& event) {
  RedisEventStore store({.connection = {.url = testing::binary_redis_server().url()}, .namespace_pattern = names.store});
  std::vector<std::string> pks;
  for (const auto& key : store.replay(event, redis_now() - 1h)) pks.push_back(key.pk);
  std::sort(pks.begin(), pks.end());
  return pks;
}

// Runs redis_writer, which kills itself after `crash_after`; returns its session id.
std::string run_writer(const std::string& dsn, const Names& names, const std::string& crash_after,
                       const std::vector<std::string>& ids) {
  std::string command = std::string(MEOWMX_REDIS_WRITER) + " '" + dsn + "' '" + testing::binary_redis_server().url() + "' '" +
                        names.records + "' '" + names.store + "' " + crash_after;
  for (const auto& id : ids) command += " " + id;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  char line[128] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  const int status = pclose(pipe);
  REQUIRE(got);
  if (crash_after != "none") CHECK((WIFSIGNALED(status) || WEXITSTATUS(status) == 128 + SIGKILL));
  std::string id(line);
  if (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

testing::CliResult recover_cli(const std::string& dsn, const Names& names, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--dsn",     dsn,         "redis-recover", "--redis-url",        testing::binary_redis_server().url(),
                                   "--namespace", names.store, "--records-namespace", names.records};
  args.insert(args.end(), extra.begin(), extra.end());
  return testing::run_cli(args);
}

// One writer's transaction inserting `ids` into orders (each touched as
// orders_write), ended by `end` (commit, rollback, ...); returns its session id.
std::string write_orders(PrepareCommit& records, pqxx::connection& connection, const std::vector<int>& ids,
                         const std::function<void(WriterTransaction&)>& end) {
  WriterTransaction tx(records, connection);
  for (const int id : ids) {
    tx.work().exec_params0("INSERT INTO orders VALUES ($1)", id);
    tx.touched("orders", ChangeAction::kWrite, std::to_string(id));
  }
  end(tx);
  return tx.session_id();
}

// A writer that dies (throws this from its on_step hook) right after its database commit.
struct WriterDied {};

std::vector<json> lines_of(const testing::CliResult& result) {
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return result.json_lines();
}

}  // namespace

TEST_CASE("prepare-commit: a commit publishes its changes and marks the session committed", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  SignalBus bus;
  std::vector<std::string> signalled;
  bus.signal("orders_write").connect([&](const json& pk) { signalled.push_back(pk.get<std::string>()); });
  auto options = options_for(names);
  options.signals = &bus;
  PrepareCommit records(options);
  pqxx::connection connection(dsn);
  const auto id = write_orders(records, connection, {1, 2}, [](WriterTransaction& tx) { tx.commit(); });
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 2);
  CHECK(stored(names, "orders_write") == std::vector<std::string>{"1", "2"});
  CHECK(signalled == std::vector<std::string>{"1", "2"});
  const auto session = records.session(id);
  REQUIRE(session);
  CHECK(session->state == "committed");
  CHECK_FALSE(session->xid.empty());
  CHECK(session->changes == std::vector<PreparedSession::Change>{{"orders_write", "1"}, {"orders_write", "2"}});
  CHECK(records.prepared().empty());
  // Never prepared is not committed.
  CHECK_FALSE(records.session("no-such-session"));
}

TEST_CASE("prepare-commit: a rolled-back transaction never reaches the store", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  PrepareCommit records(options_for(names));
  pqxx::connection connection(dsn);
  {
    WriterTransaction tx(records, connection);
    tx.work().exec0("INSERT INTO orders VALUES (5)");
    tx.touched("orders", ChangeAction::kWrite, "5");
    tx.rollback();
  }
  {
    WriterTransaction tx(records, connection);  // dropped without commit: rolled back
    tx.work().exec0("INSERT INTO orders VALUES (6)");
    tx.touched("orders", ChangeAction::kWrite, "6");
  }
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 0);
  CHECK(stored(names, "orders_write").empty());
  CHECK(records.prepared().empty());
  auto recovered = recover_cli(dsn, names);
  REQUIRE(recovered.exit_code == 0);
  CHECK(recovered.out.empty());
}

TEST_CASE("prepare-commit: a writer killed between its commit and its publish is replayed by redis-recover",
          "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const auto id = run_writer(dsn, names, "db_committed", {"7", "8"});
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 2);
  CHECK(stored(names, "orders_write").empty());
  PrepareCommit records(options_for(names));
  CHECK(records.prepared() == std::vector<std::string>{id});

  auto dry = recover_cli(dsn, names, {"--dry-run"});
  REQUIRE(dry.exit_code == 0);
  REQUIRE(dry.json_lines().size() == 1);
  CHECK(dry.json_lines()[0]["action"] == "would replay");
  CHECK(stored(names, "orders_write").empty());

  auto recovered = recover_cli(dsn, names);
  REQUIRE(recovered.exit_code == 0);
  const auto lines = recovered.json_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["session"] == id);
  CHECK(lines[0]["status"] == "committed");
  CHECK(lines[0]["action"] == "replayed");
  CHECK(lines[0]["changes"] == 2);
  CHECK(stored(names, "orders_write") == std::vector<std::string>{"7", "8"});
  CHECK(records.session(id)->state == "recovered");
  CHECK(recover_cli(dsn, names).out.empty());  // settled once
}

TEST_CASE("prepare-commit: a writer killed before its commit is dropped by recovery", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const auto id = run_writer(dsn, names, "prepared", {"9"});
  auto options = options_for(names);
  RecoveryOptions recovery{.records = options, .dsn = dsn};
  // The server notices the dead client's connection at once, or a moment later.
  std::vector<RecoveredSession> report;
  testing::wait_until("the killed writer's transaction is over", 20s, [&] {
    report = recover(recovery);
    return !report.empty() && report[0].status != "in progress";
  });
  REQUIRE(report.size() == 1);
  CHECK(report[0].id == id);
  CHECK(report[0].status == "aborted");
  CHECK(report[0].action == "dropped");
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 0);
  CHECK(stored(names, "orders_write").empty());
  CHECK(PrepareCommit(options).session(id)->state == "dropped");
}

TEST_CASE("prepare-commit: lenient mode commits while Redis is down, strict mode refuses", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const std::string down = "redis://:pw-z@127.0.0.1:" + std::to_string(testing::free_loopback_port());
  pqxx::connection connection(dsn);
  {
    PrepareCommit lenient(options_for(names, down));
    WriterTransaction tx(lenient, connection);
    tx.work().exec0("INSERT INTO orders VALUES (21)");
    tx.touched("orders", ChangeAction::kWrite, "21");
    CHECK_NOTHROW(tx.commit());
  }
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 1);
  {
    auto options = options_for(names, down);
    options.strict = true;
    PrepareCommit strict(options);
    WriterTransaction tx(strict, connection);
    tx.work().exec0("INSERT INTO orders VALUES (22)");
    tx.touched("orders", ChangeAction::kWrite, "22");
    try {
      tx.commit();
      FAIL("strict mode committed without Redis");
    } catch (const ConnectionError& e) {
      CHECK(std::string(e.what()).find("pw-z") == std::string::npos);
    }
  }
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 1);
}

TEST_CASE("prepare-commit: strict mode says when Redis fails after the database commit; recovery publishes",
          "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  testing::RedisServer own({.appendonly = true, .password = ""});
  auto options = options_for(names, own.url());
  options.strict = true;
  options.on_step = [&](CommitStep step) {
    if (step == CommitStep::kDatabaseCommitted) own.stop();
  };
  PrepareCommit records(options);
  pqxx::connection connection(dsn);
  WriterTransaction tx(records, connection);
  tx.work().exec0("INSERT INTO orders VALUES (31)");
  tx.touched("orders", ChangeAction::kWrite, "31");
  try {
    tx.commit();
    FAIL("published without Redis");
  } catch (const ConnectionError& e) {
    CHECK(std::string(e.what()).find("committed in PostgreSQL but not published") != std::string::npos);
  }
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 1);
  own.start();  // the prepare survived in the append-only file
  options.on_step = nullptr;
  const auto report = recover({.records = options, .dsn = dsn});
  REQUIRE(report.size() == 1);
  CHECK(report[0].action == "replayed");
  RedisEventStore store({.connection = {.url = own.url()}, .namespace_pattern = names.store});
  CHECK(store.query("orders_write", "31", redis_now() - 1h));
}

TEST_CASE("redis-recover leaves a transaction still open in progress, and replays it once committed", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  auto options = options_for(names);
  std::vector<json> while_open;
  std::vector<std::string> stored_while_open{"not read"};
  options.on_step = [&](CommitStep step) {
    if (step == CommitStep::kPrepared) {
      // Prepared in Redis, the PostgreSQL transaction (with its xid) still open.
      while_open = lines_of(recover_cli(dsn, names));
      stored_while_open = stored(names, "orders_write");
    }
    if (step == CommitStep::kDatabaseCommitted) throw WriterDied{};
  };
  PrepareCommit records(options);
  pqxx::connection connection(dsn);
  const auto id =
      write_orders(records, connection, {51}, [](WriterTransaction& tx) { CHECK_THROWS_AS(tx.commit(), WriterDied); });
  REQUIRE(while_open.size() == 1);
  CHECK(while_open[0]["session"] == id);
  CHECK(while_open[0]["status"] == "in progress");
  CHECK(while_open[0]["action"] == "left");
  CHECK(stored_while_open.empty());
  CHECK(records.prepared() == std::vector<std::string>{id});  // left as it was

  const auto after_commit = lines_of(recover_cli(dsn, names));
  REQUIRE(after_commit.size() == 1);
  CHECK(after_commit[0]["status"] == "committed");
  CHECK(after_commit[0]["action"] == "replayed");
  CHECK(stored(names, "orders_write") == std::vector<std::string>{"51"});
}

TEST_CASE("redis-recover leaves a transaction still open in progress, and drops it once aborted", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  auto options = options_for(names);
  pqxx::connection connection(dsn);
  std::vector<json> while_open;
  std::vector<json> after_abort;
  options.on_step = [&](CommitStep step) {
    if (step != CommitStep::kPrepared) return;
    while_open = lines_of(recover_cli(dsn, names));
    testing::sql(dsn, "SELECT pg_terminate_backend(" + std::to_string(connection.backendpid()) + ")");
    testing::wait_until("the terminated writer's transaction is aborted", 20s, [&] {
      const auto report = recover({.records = options_for(names), .dsn = dsn, .dry_run = true});
      return report.size() == 1 && report[0].status == "aborted";
    });
    after_abort = lines_of(recover_cli(dsn, names));
  };
  PrepareCommit records(options);
  // Its connection is gone by the commit.
  write_orders(records, connection, {52}, [](WriterTransaction& tx) { CHECK_THROWS(tx.commit()); });
  REQUIRE(while_open.size() == 1);
  CHECK(while_open[0]["status"] == "in progress");
  CHECK(while_open[0]["action"] == "left");
  REQUIRE(after_abort.size() == 1);
  CHECK(after_abort[0]["status"] == "aborted");
  CHECK(after_abort[0]["action"] == "dropped");
  CHECK(testing::query_value<int>(dsn, "SELECT count(*) FROM orders") == 0);
  CHECK(stored(names, "orders_write").empty());
  CHECK(records.prepared().empty());
}

TEST_CASE("redis-recover reports a prepared session whose record expired as unknown and drops it", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const std::string set = internal::KeySpace(names.records).namespace_at(redis_now()) + ":prepared";
  internal::RedisConnection(testing::binary_redis_server().url(), 5s).command("test", {"SADD", set, "gone"});
  const auto lines = lines_of(recover_cli(dsn, names));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == json{{"session", "gone"}, {"xid", ""}, {"status", "unknown"}, {"action", "dropped"}, {"changes", 0}});
  CHECK(PrepareCommit(options_for(names)).prepared().empty());
}

TEST_CASE("redis-recover leaves a session whose transaction id this cluster never handed out as unknown",
          "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const std::string space = internal::KeySpace(names.records).namespace_at(redis_now());
  internal::RedisConnection redis(testing::binary_redis_server().url(), 5s);
  // As another cluster's writer would have prepared it: its xid is beyond ours.
  const json record{{"id", "elsewhere"},
                    {"xid", "900000000000"},
                    {"state", "prepared"},
                    {"prepared_at", format_redis_time(redis_now())},
                    {"changes", json::array({{{"event", "orders_write"}, {"pk", "7"}}})}};
  redis.command("test", {"SET", space + ":session:elsewhere", record.dump(), "EX", "600"});
  redis.command("test", {"SADD", space + ":prepared", "elsewhere"});
  const auto result = recover_cli(dsn, names);
  const auto lines = lines_of(result);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        json{{"session", "elsewhere"}, {"xid", "900000000000"}, {"status", "unknown"}, {"action", "left"}, {"changes", 1}});
  CHECK(PrepareCommit(options_for(names)).prepared() == std::vector<std::string>{"elsewhere"});
  CHECK(stored(names, "orders_write").empty());
}

TEST_CASE("redis-recover --zmq-bind waits for a subscriber and sends it exactly the replayed changes", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  const auto replayed = run_writer(dsn, names, "db_committed", {"61", "62"});
  const auto dropped = run_writer(dsn, names, "prepared", {"63"});
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  testing::wait_until("the killed writer's transaction is over", 20s, [&] {
    for (const auto& session : recover({.records = options_for(names), .dsn = dsn, .dry_run = true})) {
      if (session.status == "in progress") return false;
    }
    return true;
  });

  // No subscriber: nothing is changed.
  const auto alone = recover_cli(dsn, names, {"--zmq-bind", endpoint, "--zmq-wait", "0.2"});
  CHECK(alone.exit_code == 4);
  CHECK(alone.err.find("no ZeroMQ subscriber subscribed on " + endpoint) != std::string::npos);
  CHECK(std::count(alone.err.begin(), alone.err.end(), '\n') == 1);
  const auto malformed = recover_cli(dsn, names, {"--zmq-bind", "tcp://no-port"});
  CHECK(malformed.exit_code == 2);
  CHECK(std::count(malformed.err.begin(), malformed.err.end(), '\n') == 1);
  CHECK(alone.out.empty());
  CHECK(PrepareCommit(options_for(names)).prepared().size() == 2);

  testing::CliProcess recovery({"--dsn", dsn, "redis-recover", "--redis-url", testing::binary_redis_server().url(),
                                "--namespace", names.store, "--records-namespace", names.records, "--zmq-bind",
                                endpoint});
  zmq::context_t context;
  zmq::socket_t subscriber(context, zmq::socket_type::sub);
  subscriber.set(zmq::sockopt::subscribe, "");
  subscriber.set(zmq::sockopt::rcvtimeo, 20000);
  subscriber.connect(endpoint);  // ZeroMQ retries until the command binds
  std::vector<std::string> messages;
  for (zmq::message_t message; messages.size() < 2 && subscriber.recv(message);) messages.push_back(message.to_string());
  std::sort(messages.begin(), messages.end());
  CHECK(messages == std::vector<std::string>{"orders_write 61", "orders_write 62"});
  const auto result = recovery.wait();
  REQUIRE(result.exit_code == 0);
  const auto lines = result.json_lines();
  REQUIRE(lines.size() == 2);
  for (const auto& line : lines) {
    CHECK(line["action"] == (line["session"] == replayed ? "replayed" : "dropped"));
    if (line["session"] != replayed) CHECK(line["session"] == dropped);
  }
  CHECK(stored(names, "orders_write") == std::vector<std::string>{"61", "62"});
  // Nothing else was sent: the command has exited and its socket is closed.
  subscriber.set(zmq::sockopt::rcvtimeo, 0);
  zmq::message_t extra;
  CHECK_FALSE(subscriber.recv(extra));
}

TEST_CASE("redis-recover --zmq-connect sends the replayed changes to a SUB socket that binds", "[redis]") {
  const auto dsn = orders_database();
  const Names names = unique_names();
  run_writer(dsn, names, "db_committed", {"64"});
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(testing::free_loopback_port());
  zmq::context_t context;
  zmq::socket_t forwarder(context, zmq::socket_type::sub);  // a forwarder's receiving side
  forwarder.set(zmq::sockopt::subscribe, "orders_");
  forwarder.set(zmq::sockopt::rcvtimeo, 20000);
  forwarder.bind(endpoint);
  // In the background: the SUB socket sends its subscription to a new peer only while its thread is in recv().
  testing::CliProcess recovery({"--dsn", dsn, "redis-recover", "--redis-url", testing::binary_redis_server().url(),
                                "--namespace", names.store, "--records-namespace", names.records, "--zmq-connect",
                                endpoint});
  zmq::message_t message;
  REQUIRE(forwarder.recv(message));
  CHECK(message.to_string() == "orders_write 64");
  const auto lines = lines_of(recovery.wait());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["action"] == "replayed");
}

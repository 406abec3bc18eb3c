// `meowmx pub`, `pub-status` and `pub-drop` run as a user would: meepo's
// example event stream, a kill -9 in the middle of a stream and a restart,
// ZeroMQ fan-out on 127.0.0.1, the trigger source, the log sink, and the
// errors a user can run into. Every test uses its own database and slot.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <pqxx/pqxx>
#include <zmq.hpp>

#include "meowmx/meowmx.h"
#include "support/cli_runner.h"
#include "support/polling.h"
#include "support/sql.h"
#include "support/servers/postgres_server.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using namespace std::chrono_literals;
using testing::CliResult;

namespace {

using testing::eventually;
using testing::query_value;
using testing::sql;

// meepo's example (its package page): the SQL and the events it produces.
const std::vector<std::string> kMeepoSql = {
    "INSERT INTO test (data) VALUES ('a')",
    "INSERT INTO test (data) VALUES ('b'), ('c'), ('d')",
    "UPDATE test SET data = 'aa' WHERE id = 1",
    "UPDATE test SET data = 'bb' WHERE id = 2",
    "UPDATE test SET data = 'cc' WHERE id != 1",
    "DELETE FROM test WHERE id != 1",
    "DELETE FROM test WHERE id = 1",
};
const std::vector<std::string> kMeepoEvents = {
    "test_write 1",  "test_write 2",  "test_write 3",  "test_write 4",  "test_update 1",
    "test_update 2", "test_update 2", "test_update 3", "test_update 4", "test_delete 2",
    "test_delete 3", "test_delete 4", "test_delete 1",
};

std::string unique_slot() {
  static std::atomic<int> counter{0};
  return "pub_cli_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args) {
  args.insert(args.begin(), {"--dsn", dsn});
  return testing::run_cli(args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool slot_active(const std::string& dsn, const std::string& slot) {
  return query_value<bool>(
      dsn, "SELECT coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'), false)");
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// A long-running `meowmx` with its stdout on a pipe the test reads at its own
// pace (so a test can make it block mid-stream), stderr in a file.
class Process {
 public:
  explicit Process(std::vector<std::string> args) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    char pattern[] = "/tmp/meowmx-pub-err-XXXXXX";
    const int err_fd = mkstemp(pattern);
    err_path_ = pattern;
    args.insert(args.begin(), testing::cli_path());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(pipe_fds[1], STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      close(pipe_fds[0]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    close(err_fd);
    out_fd_ = pipe_fds[0];
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    unlink(err_path_.c_str());
  }

  // The next line, or nullopt at the end of output or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd fds{out_fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&fds, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[65536];
      const auto got = ::read(out_fd_, chunk, sizeof chunk);
      if (got <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }
  // Everything up to the end of output (the process exited or was killed).
  std::vector<std::string> rest() {
    std::vector<std::string> lines;
    while (auto line = read_line()) lines.push_back(*line);
    return lines;
  }
  // Bytes written to stdout that nobody has read yet.
  int unread_bytes() const {
    int bytes = 0;
    ioctl(out_fd_, FIONREAD, &bytes);
    return bytes;
  }
  void kill(int signal) const { ::kill(pid_, signal); }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::string err() const {
    std::ifstream in(err_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string err_path_;
  std::string buffer_;
};

// meepo's example on a table of one row per page: PostgreSQL then visits the
// rows of a multi-row statement in key order, as MySQL's clustered InnoDB
// tables did when meepo's stream was recorded. (On an ordinary heap, an
// updated row moves behind the others, and the stream follows PostgreSQL's
// own order: see the next test.)
void create_meepo_table(const std::string& dsn) {
  sql(dsn,
      "CREATE TABLE test (id serial PRIMARY KEY, data text, pad char(1500) NOT NULL DEFAULT '')"
      " WITH (fillfactor = 10)");
}

}  // namespace

TEST_CASE("meepo's example SQL gives meepo's event stream") {
  const auto dsn = testing::fresh_database();
  create_meepo_table(dsn);
  const auto slot = unique_slot();
  const std::vector<std::string> pub = {"pub", "--tables", "test", "--slot", slot, "--once"};
  auto first = meowmx_at(dsn, pub);  // creates the publication and the slot: nothing yet
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.empty());
  for (const auto& statement : kMeepoSql) sql(dsn, statement);
  auto second = meowmx_at(dsn, pub);
  REQUIRE(second.exit_code == 0);
  CHECK(lines_of(second.out) == kMeepoEvents);
  // Acknowledged: a third run has nothing left to say.
  auto third = meowmx_at(dsn, pub);
  CHECK(third.exit_code == 0);
  CHECK(third.out.empty());
  CHECK(meowmx_at(dsn, {"pub-drop", "--slot", slot}).exit_code == 0);
}

TEST_CASE("on an ordinary heap each statement's rows come in PostgreSQL's order, transactions in commit order") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE test (id serial PRIMARY KEY, data text)");
  const auto slot = unique_slot();
  const std::vector<std::string> pub = {"pub", "--tables", "test", "--slot", slot, "--once", "--format", "json"};
  REQUIRE(meowmx_at(dsn, pub).exit_code == 0);
  for (const auto& statement : kMeepoSql) sql(dsn, statement);
  auto result = meowmx_at(dsn, pub);
  REQUIRE(result.exit_code == 0);
  const auto events = result.json_lines();
  REQUIRE(events.size() == kMeepoEvents.size());
  // Group by transaction: the same events per statement as meepo's, in the
  // same statement order.
  std::vector<std::multiset<std::string>> ours, meepos;
  std::string last_lsn;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto lsn = events[i]["position"]["lsn"].get<std::string>();
    if (lsn != last_lsn) ours.emplace_back();
    last_lsn = lsn;
    ours.back().insert(events[i]["table"].get<std::string>() + "_" + events[i]["action"].get<std::string>() + " " +
                       events[i]["pk"].dump());
  }
  const std::vector<std::size_t> per_statement = {1, 3, 1, 1, 3, 3, 1};
  std::size_t at = 0;
  for (std::size_t count : per_statement) {
    meepos.emplace_back(kMeepoEvents.begin() + static_cast<std::ptrdiff_t>(at),
                        kMeepoEvents.begin() + static_cast<std::ptrdiff_t>(at + count));
    at += count;
  }
  CHECK(ours == meepos);
  CHECK(events[0]["values"] == json{{"id", 1}, {"data", "a"}});
  CHECK(events[4]["after"] == json{{"id", 1}, {"data", "aa"}});
  meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

TEST_CASE("kill -9 mid-stream, restart: every change in commit order, again only from a transaction boundary") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE ledger (id bigint PRIMARY KEY, amount int)");
  const auto slot = unique_slot();
  constexpr int kTransactions = 20;
  constexpr int kPerTransaction = 500;
  constexpr int kChanges = kTransactions * kPerTransaction;

  auto first = std::make_unique<Process>(std::vector<std::string>{"--dsn", dsn, "pub", "--tables", "ledger",
                                                                  "--slot", slot, "--status-interval", "0.2"});
  REQUIRE(eventually([&] { return slot_active(dsn, slot); }));
  {
    pqxx::connection connection(dsn);
    for (int t = 0; t < kTransactions; ++t) {
      pqxx::work tx(connection);
      tx.exec_params("INSERT INTO ledger SELECT i, 1 FROM generate_series($1::bigint, $2::bigint) i",
                     t * kPerTransaction + 1, (t + 1) * kPerTransaction);
      tx.commit();
    }
  }
  // Read a little, then stop reading: the pipe fills and the pub blocks in
  // the middle of the stream (~180 kB of lines). Kill it there.
  std::vector<std::string> seen;
  for (int i = 0; i < 700; ++i) {
    auto line = first->read_line();
    REQUIRE(line);
    seen.push_back(*line);
  }
  // The pipe holds at most 64 kB and the test has read less than half of
  // the 180 kB stream, so with the pipe this full the pub cannot be done.
  REQUIRE(eventually([&] { return first->unread_bytes() > 32768; }));
  first->kill(SIGKILL);
  for (auto& line : first->rest()) seen.push_back(line);
  CHECK(first->wait() == 128 + SIGKILL);
  REQUIRE(seen.size() < static_cast<std::size_t>(kChanges));

  // The first run printed a prefix of the stream, in order.
  for (std::size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == "ledger_write " + std::to_string(i + 1));
  const auto last_seen = static_cast<int>(seen.size());

  Process second({"--dsn", dsn, "pub", "--tables", "ledger", "--slot", slot, "--once"});
  const auto resumed = second.rest();
  REQUIRE(second.wait() == 0);
  REQUIRE_FALSE(resumed.empty());
  const int resumed_from = std::stoi(resumed.front().substr(std::string("ledger_write ").size()));
  // It resumed at a transaction's first change, without a gap, repeating
  // only what the slot had not confirmed: whole transactions (the one in
  // hand, and any the pub finished just before it died)...
  CHECK((resumed_from - 1) % kPerTransaction == 0);
  CHECK(resumed_from <= last_seen + 1);
  CHECK(resumed_from > 1);
  // ...and delivered the rest, in commit order.
  REQUIRE(resumed.size() == static_cast<std::size_t>(kChanges - resumed_from + 1));
  for (std::size_t i = 0; i < resumed.size(); ++i) {
    REQUIRE(resumed[i] == "ledger_write " + std::to_string(resumed_from + static_cast<int>(i)));
  }
  meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

TEST_CASE("SIGTERM stops a pub cleanly after the transaction in hand") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY)");
  const auto slot = unique_slot();
  Process pub({"--dsn", dsn, "pub", "--tables", "orders", "--slot", slot});
  REQUIRE(eventually([&] { return slot_active(dsn, slot); }));
  sql(dsn, "INSERT INTO orders VALUES (1)");
  CHECK(pub.read_line() == "orders_write 1");
  pub.kill(SIGTERM);
  CHECK(pub.wait() == 0);
  CHECK(pub.rest().empty());
  CHECK(eventually([&] { return !slot_active(dsn, slot); }));
  // What it printed was acknowledged.
  CHECK(meowmx_at(dsn, {"pub", "--tables", "orders", "--slot", slot, "--once"}).out.empty());
  meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

namespace {

// Subscribes before the changes: pings until the first message gets through,
// since a PUB socket drops what is sent before a subscription arrives.
void await_subscription(const std::string& dsn, zmq::socket_t& subscriber) {
  subscriber.set(zmq::sockopt::subscribe, "ping_");
  subscriber.set(zmq::sockopt::subscribe, "test_");
  subscriber.set(zmq::sockopt::rcvtimeo, 100);
  REQUIRE(eventually([&] {
    sql(dsn, "INSERT INTO ping DEFAULT VALUES");
    zmq::message_t message;
    bool got = false;
    while (subscriber.recv(message)) {
      if (message.to_string().rfind("ping_write", 0) == 0) got = true;
      while (message.more()) (void)subscriber.recv(message);
    }
    return got;
  }));
}

std::vector<std::vector<std::string>> receive_test_messages(zmq::socket_t& subscriber, std::size_t count) {
  std::vector<std::vector<std::string>> messages;
  subscriber.set(zmq::sockopt::rcvtimeo, 20000);
  while (messages.size() < count) {
    std::vector<std::string> frames;
    zmq::message_t frame;
    do {
      if (!subscriber.recv(frame)) return messages;
      frames.push_back(frame.to_string());
    } while (frame.more());
    if (frames[0].rfind("test_", 0) == 0) messages.push_back(frames);
  }
  return messages;
}

}  // namespace

TEST_CASE("the zmq sink fans out meepo frames, and the raw event as a second frame with --raw") {
  const auto dsn = testing::fresh_database();
  create_meepo_table(dsn);
  sql(dsn, "CREATE TABLE ping (id serial PRIMARY KEY)");
  const auto slot = unique_slot();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_loopback_port());
  Process pub({"--dsn", dsn, "pub", "--tables", "test,ping", "--slot", slot, "--sink", "zmq", "--zmq-bind",
               endpoint, "--raw"});
  zmq::context_t context;
  zmq::socket_t subscriber(context, zmq::socket_type::sub);
  subscriber.connect(endpoint);
  await_subscription(dsn, subscriber);
  for (const auto& statement : kMeepoSql) sql(dsn, statement);
  const auto messages = receive_test_messages(subscriber, kMeepoEvents.size());
  REQUIRE(messages.size() == kMeepoEvents.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    REQUIRE(messages[i].size() == 2);
    CHECK(messages[i][0] == kMeepoEvents[i]);
    const auto raw = json::parse(messages[i][1]);
    CHECK(raw["table"] == "test");
    CHECK(raw["table"].get<std::string>() + "_" + raw["action"].get<std::string>() + " " + raw["pk"].dump() ==
          kMeepoEvents[i]);
  }
  pub.kill(SIGTERM);
  CHECK(pub.wait() == 0);
  meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

TEST_CASE("the zmq sink connects to a forwarder with single-frame messages") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE test (id int PRIMARY KEY); CREATE TABLE ping (id serial PRIMARY KEY)");
  const auto slot = unique_slot();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_loopback_port());
  zmq::context_t context;
  zmq::socket_t forwarder(context, zmq::socket_type::sub);  // the forwarder's receiving side
  forwarder.bind(endpoint);
  Process pub({"--dsn", dsn, "pub", "--tables", "test,ping", "--slot", slot, "--sink", "zmq", "--zmq-connect",
               endpoint});
  await_subscription(dsn, forwarder);
  sql(dsn, "INSERT INTO test VALUES (7)");
  const auto messages = receive_test_messages(forwarder, 1);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] == std::vector<std::string>{"test_write 7"});
  pub.kill(SIGTERM);
  CHECK(pub.wait() == 0);
  meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

TEST_CASE("the trigger source installs its triggers, listens, and uninstalls") {
  const auto dsn = testing::fresh_database();
  create_meepo_table(dsn);
  Process pub({"--dsn", dsn, "pub", "--source", "postgres-trigger", "--tables", "test"});
  // One statement trigger each for INSERT, UPDATE, DELETE and TRUNCATE.
  REQUIRE(eventually([&] {
    return query_value<int>(dsn, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'test'::regclass") == 4;
  }));
  for (const auto& statement : kMeepoSql) sql(dsn, statement);
  std::vector<std::string> lines;
  while (lines.size() < kMeepoEvents.size()) {
    auto line = pub.read_line();
    REQUIRE(line);
    lines.push_back(*line);
  }
  CHECK(lines == kMeepoEvents);
  pub.kill(SIGINT);
  CHECK(pub.wait() == 0);
  auto removed = meowmx_at(dsn, {"pub", "--source", "postgres-trigger", "--tables", "test", "--uninstall"});
  CHECK(removed.exit_code == 0);
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'test'::regclass") == 0);
}

TEST_CASE("a quoted table is captured, keys cannot forge lines, json keeps the digits test_decoding shows") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE SCHEMA \"Odd Schema\"; CREATE TABLE \"Odd Schema\".\"order-items\" (id text PRIMARY KEY, doc jsonb)");
  const std::string table = R"("Odd Schema"."order-items")";
  const auto text_slot = unique_slot();
  const auto json_slot = unique_slot();
  for (const auto& slot : {text_slot, json_slot}) {
    REQUIRE(meowmx_at(dsn, {"pub", "--tables", table, "--slot", slot, "--once"}).exit_code == 0);
  }
  const auto decoding_slot = unique_slot();
  sql(dsn, "SELECT pg_create_logical_replication_slot('" + decoding_slot + "', 'test_decoding')");
  const std::string doc = R"({"big": 123456789012345678901234567890, "exact": 1.000000000000000000001})";
  sql(dsn, "INSERT INTO \"Odd Schema\".\"order-items\" VALUES ('plain', '" + doc +
               "'), (E'evil\\nMixedCase_delete forged', '{}')");
  const auto text = meowmx_at(dsn, {"pub", "--tables", table, "--slot", text_slot, "--once"});
  REQUIRE(text.exit_code == 0);
  CHECK(lines_of(text.out) == std::vector<std::string>{R"("Odd Schema.order-items_write" plain)",
                                                       R"("Odd Schema.order-items_write" "evil\nMixedCase_delete forged")"});
  const auto raw = meowmx_at(dsn, {"pub", "--tables", table, "--slot", json_slot, "--once", "--format", "json"});
  REQUIRE(raw.exit_code == 0);
  const auto decoded = query_value<std::string>(
      dsn, "SELECT string_agg(data, E'\\n') FROM pg_logical_slot_get_changes('" + decoding_slot + "', NULL, NULL)");
  CHECK_THAT(decoded, Catch::Contains(doc));
  CHECK_THAT(raw.out, Catch::Contains(R"("doc":)" + doc));
  for (const auto& slot : {text_slot, json_slot}) meowmx_at(dsn, {"pub-drop", "--slot", slot});
  sql(dsn, "SELECT pg_drop_replication_slot('" + decoding_slot + "')");
}

TEST_CASE("the log sink turns captured changes into subscribable events") {
  const auto dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY, status text)");
  const auto slot = unique_slot();
  const std::vector<std::string> pub = {"pub", "--tables", "orders", "--slot", slot, "--sink", "log", "--once"};
  REQUIRE(meowmx_at(dsn, pub).exit_code == 0);
  sql(dsn, "INSERT INTO orders VALUES (1, 'new'); UPDATE orders SET status = 'paid'");
  auto result = meowmx_at(dsn, pub);
  REQUIRE(result.exit_code == 0);
  CHECK(result.out.empty());
  const auto events = meowmx_at(dsn, {"load", "orders", "1"}).json_lines();
  REQUIRE(events.size() == 2);
  CHECK(events[0]["event_type"] == "orders_write");
  CHECK(events[1]["event_type"] == "orders_update");
  CHECK(events[1]["json"]["after"] == json{{"id", 1}, {"status", "paid"}});
  CHECK_THAT(events[1]["metadata"]["capture"].get<std::string>(), Catch::EndsWith("/" + slot));
  meowmx_at(dsn, {"pub-drop", "--slot", slot});

  const auto uuid_store = testing::fresh_database();
  sql(uuid_store, "CREATE TABLE orders (id int PRIMARY KEY)");
  auto refused = meowmx_at(uuid_store, {"pub", "--tables", "orders", "--slot", unique_slot(), "--sink", "log"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("--aggregate-id-type text"));
}

TEST_CASE("pub-status shows the slot's position and retained WAL; pub-drop removes slot and publication") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY)");
  const auto slot = unique_slot();
  REQUIRE(meowmx_at(dsn, {"pub", "--tables", "orders", "--slot", slot, "--once"}).exit_code == 0);
  sql(dsn, "INSERT INTO orders VALUES (1)");

  auto table = meowmx_at(dsn, {"pub-status", "--slot", slot});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("confirmed position") && Catch::Contains("retained WAL") &&
                            Catch::Contains(slot + " (public.orders)"));
  auto status = meowmx_at(dsn, {"pub-status", "--slot", slot, "--json"}).json_lines();
  REQUIRE(status.size() == 1);
  CHECK(status[0]["slot"] == slot);
  CHECK(status[0]["active"] == false);
  CHECK(status[0]["pending_wal_bytes"].get<std::int64_t>() > 0);
  CHECK(status[0]["retained_wal_bytes"].get<std::int64_t>() >= status[0]["pending_wal_bytes"].get<std::int64_t>());
  CHECK(status[0]["tables"] == json::array({"public.orders"}));

  auto dropped = meowmx_at(dsn, {"pub-drop", "--slot", slot}).json_lines();
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0]["slot_dropped"] == true);
  CHECK(dropped[0]["publication_dropped"] == true);
  CHECK(query_value<int>(dsn, "SELECT count(*) FROM pg_publication") == 0);
  auto again = meowmx_at(dsn, {"pub-drop", "--slot", slot}).json_lines();
  CHECK(again[0]["slot_dropped"] == false);
  auto missing = meowmx_at(dsn, {"pub-status", "--slot", slot});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no replication slot named " + slot));
}

TEST_CASE("pub-status tells changes waiting from WAL that holds none, with their lag, and lists every slot") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE orders (id int PRIMARY KEY)");
  const auto first = unique_slot();
  const auto second = unique_slot();
  for (const auto& slot : {first, second}) {
    REQUIRE(meowmx_at(dsn, {"pub", "--tables", "orders", "--slot", slot, "--once"}).exit_code == 0);
  }
  sql(dsn, "INSERT INTO orders VALUES (1)");
  REQUIRE(meowmx_at(dsn, {"pub", "--tables", "orders", "--slot", first, "--once"}).exit_code == 0);
  // Acknowledged: WAL follows the confirmed position (the end marker of
  // --once), but no change of the publication waits there.
  auto caught_up = meowmx_at(dsn, {"pub-status", "--slot", first, "--json"}).json_lines();
  REQUIRE(caught_up.size() == 1);
  CHECK(caught_up[0]["changes_pending"] == false);
  CHECK(caught_up[0]["lag_seconds"] == 0.0);
  CHECK_THAT(meowmx_at(dsn, {"pub-status", "--slot", first}).out, Catch::Contains("none (after the confirmed"));

  auto behind = meowmx_at(dsn, {"pub-status", "--slot", second, "--json"}).json_lines();
  REQUIRE(behind.size() == 1);
  CHECK(behind[0]["changes_pending"] == true);
  const double lag = behind[0]["lag_seconds"].get<double>();
  CHECK(lag >= 0.0);
  CHECK(lag < 60.0);

  // Without --slot: one line per slot of this database, by name.
  auto every = meowmx_at(dsn, {"pub-status", "--json"}).json_lines();
  REQUIRE(every.size() == 2);
  CHECK(every[0]["slot"] == std::min(first, second));
  CHECK(every[1]["slot"] == std::max(first, second));
  auto table = meowmx_at(dsn, {"pub-status"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("SLOT") && Catch::Contains(first) && Catch::Contains(second) &&
                            Catch::Contains("of changes"));
  for (const auto& slot : {first, second}) meowmx_at(dsn, {"pub-drop", "--slot", slot});
}

TEST_CASE("pub refuses bad input with exit code 2 and an unreachable server with 4") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE keyless (a int)");
  auto unknown = meowmx_at(dsn, {"pub", "--tables", "nope", "--slot", unique_slot(), "--once"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown table public.nope"));
  auto keyless = meowmx_at(dsn, {"pub", "--tables", "keyless", "--slot", unique_slot(), "--once"});
  CHECK(keyless.exit_code == 2);
  CHECK_THAT(keyless.err, Catch::Contains("no primary key"));
  CHECK(meowmx_at(dsn, {"pub", "--tables", "a;drop table x", "--once"}).exit_code == 2);
  CHECK(meowmx_at(dsn, {"pub", "--tables", "keyless", "--slot", "No-Caps"}).exit_code == 2);
  CHECK(meowmx_at(dsn, {"pub", "--tables", "keyless", "--sink", "kafka"}).exit_code == 2);
  auto misplaced = meowmx_at(dsn, {"pub", "--tables", "keyless", "--zmq-bind", "tcp://127.0.0.1:1"});
  CHECK(misplaced.exit_code == 2);
  CHECK_THAT(misplaced.err, Catch::Contains("--zmq-bind belongs to --sink zmq"));
  CHECK(meowmx_at(dsn, {"pub", "--tables", "keyless", "--sink", "zmq"}).exit_code == 2);
  CHECK(meowmx_at(dsn, {"pub"}).exit_code == 2);
  auto unreachable = meowmx_at("postgresql://postgres:s3cretpw@127.0.0.1:1/x", {"pub", "--tables", "t", "--once"});
  CHECK(unreachable.exit_code == 4);
  CHECK_THAT(unreachable.err, !Catch::Contains("s3cretpw"));
  for (const char* command : {"pub", "pub-status", "pub-drop"}) {
    auto help = testing::run_cli({command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--slot"));
  }
}

TEST_CASE("wal_level other than logical is a clear error") {
  testing::PostgresServer replica({.settings = {"wal_level = replica"}});
  sql(replica.url(), "CREATE TABLE orders (id int PRIMARY KEY)");
  auto result = meowmx_at(replica.url(), {"pub", "--tables", "orders", "--once"});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("wal_level is 'replica'") && Catch::Contains("wal_level = logical"));
}

// The trigger source (statement triggers + NOTIFY) through the public API,
// against a real PostgreSQL: keys exactly as the logical decoding source and
// PostgreSQL's own test_decoding report them, bulk statements whole and in
// few notifications, keys too long for one notification, and the clean-up.
// Every test has its own database (and its own slots); they wait for
// conditions, never for a guessed time.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/running_pub.h"
#include "support/sql.h"
#include "support/test_cluster.h"

using namespace meowmx;
using namespace std::chrono_literals;
using meowmx::testing::query_value;
using meowmx::testing::Recording;
using meowmx::testing::RecordingSink;
using meowmx::testing::RunningPub;
using meowmx::testing::sql;

namespace {

// The settings both sources render values under (the replication
// connection's options and the trigger function's SET clause).
constexpr const char* kCaptureSettings =
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=1";

// Slots belong to the cluster, not the database: each test takes its own names.
std::string unique_slot(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

// A pub recording into `recording`, with a bus of its own.
class Capture {
 public:
  Capture(SourceOptions source, Recording& recording) {
    std::vector<std::unique_ptr<Sink>> sinks;
    sinks.push_back(std::make_unique<RecordingSink>(recording));
    pub_ = std::make_unique<RunningPub>(PubOptions{.source = std::move(source)}, std::move(sinks), bus_);
  }
  // Until `ready` holds: fails the test, with the pub's error, if the pub ends first.
  void wait_until(const std::string& what, const std::function<bool()>& ready) {
    testing::wait_until(what, 30s, [&] { return pub_->finished() || ready(); });
    if (pub_->finished()) pub_->stop();
  }
  void stop() { pub_->stop(); }

 private:
  SignalBus bus_;
  std::unique_ptr<RunningPub> pub_;
};

int trigger_count(const std::string& dsn, const std::string& table) {
  return query_value<int>(dsn, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'meowmx_pub_%' AND tgrelid = '" +
                                   table + "'::regclass");
}

// Listening, with the four triggers on each table: what commits now is captured.
void wait_for_triggers(Capture& capture, const std::string& dsn, const std::vector<std::string>& tables) {
  capture.wait_until("the triggers are installed", [&] {
    for (const auto& table : tables) {
      if (trigger_count(dsn, table) != 4) return false;
    }
    return true;
  });
}

// Streaming from its slot: what commits now is captured.
void wait_for_slot(Capture& capture, const std::string& dsn, const std::string& slot) {
  capture.wait_until("slot " + slot + " streams", [&] {
    return query_value<bool>(dsn, "SELECT coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = '" +
                                      slot + "'), false)");
  });
}

SourceOptions trigger_source(const std::string& dsn, std::vector<std::string> tables) {
  return PostgresTriggerSource{.dsn = dsn, .tables = std::move(tables)};
}

SourceOptions logical_source(const std::string& dsn, std::vector<std::string> tables, const std::string& slot) {
  PostgresSource source;
  source.dsn = dsn;
  source.tables = std::move(tables);
  source.slot = slot;
  source.status_interval = 100ms;
  return source;
}

// A change as "<name> <the key's texts as a JSON array>", whatever the
// values' kinds: what the three decoders are compared on.
std::string key_texts_line(const std::string& name, const std::vector<std::string>& texts) {
  return name + " " + nlohmann::json(texts).dump();
}

std::vector<std::string> key_texts_lines(const Recording& recording) {
  std::vector<std::string> lines;
  for (const auto& change : recording.changes()) {
    std::vector<std::string> texts;
    for (const auto& value : change.key) texts.push_back(value.text);
    lines.push_back(key_texts_line(change.name, texts));
  }
  return lines;
}

// The changes in pg_recvlogical's test_decoding output, as key_texts_line()s:
//   table public.prices: INSERT: id[numeric]:1.50 note[text]:'a'
//   table public.prices: UPDATE: old-key: id[numeric]:1.50 new-tuple: id[numeric]:1.500 note[text]:'a'
//   table public.pairs: TRUNCATE: (no-flags)
// An update with an old key changed its key: a delete and a write, as the
// meowmx sources report it. Quoted values ('it''s') may span lines.
class TestDecodingParser {
 public:
  TestDecodingParser(const std::string& output, std::map<std::string, std::vector<std::string>> keys)
      : text_(output), keys_(std::move(keys)) {}

  std::vector<std::string> changes() {
    std::vector<std::string> lines;
    while (at_ < text_.size()) {
      if (text_.compare(at_, 6, "table ") != 0) {
        skip_line();
        continue;
      }
      at_ += 6;
      const std::string table = until(": ");
      const std::string stem = table.substr(table.find('.') + 1);
      const std::string action = until(":");
      const auto tuples = columns();
      const auto& key = keys_.at(stem);
      if (action == "TRUNCATE") {
        lines.push_back(key_texts_line(stem + "_truncate", {}));
      } else if (action == "INSERT") {
        lines.push_back(key_texts_line(stem + "_write", pick(tuples.at(""), key)));
      } else if (action == "DELETE") {
        lines.push_back(key_texts_line(stem + "_delete", pick(tuples.at(""), key)));
      } else if (tuples.count("old-key")) {
        lines.push_back(key_texts_line(stem + "_delete", pick(tuples.at("old-key"), key)));
        lines.push_back(key_texts_line(stem + "_write", pick(tuples.at("new-tuple"), key)));
      } else {
        lines.push_back(key_texts_line(stem + "_update", pick(tuples.at(""), key)));
      }
    }
    return lines;
  }

 private:
  using Tuple = std::map<std::string, std::string>;

  void skip_line() {
    const auto end = text_.find('\n', at_);
    at_ = end == std::string::npos ? text_.size() : end + 1;
  }
  std::string until(const std::string& separator) {
    const auto end = text_.find(separator, at_);
    REQUIRE(end != std::string::npos);
    std::string part = text_.substr(at_, end - at_);
    at_ = end + separator.size();
    return part;
  }
  // The rest of the record: "name[type]:value" pairs, grouped under
  // "old-key" and "new-tuple" where test_decoding names them ("" otherwise).
  std::map<std::string, Tuple> columns() {
    std::map<std::string, Tuple> tuples;
    std::string group;
    while (at_ < text_.size() && text_[at_] != '\n') {
      if (text_[at_] == ' ') {
        ++at_;
      } else if (text_.compare(at_, 8, "old-key:") == 0 || text_.compare(at_, 10, "new-tuple:") == 0) {
        group = until(":");
      } else if (text_[at_] == '(') {
        skip_line();  // (no-flags) of a truncate
        return tuples;
      } else {
        const std::string name = until("[");
        until("]:");
        tuples[group][name] = value();
      }
    }
    ++at_;
    return tuples;
  }
  std::string value() {
    std::string value;
    if (text_[at_] != '\'') {
      while (at_ < text_.size() && text_[at_] != ' ' && text_[at_] != '\n') value += text_[at_++];
      return value;
    }
    for (++at_; at_ < text_.size(); ++at_) {
      if (text_[at_] == '\'') {
        if (at_ + 1 < text_.size() && text_[at_ + 1] == '\'') {
          ++at_;
        } else {
          ++at_;
          break;
        }
      }
      value += text_[at_];
    }
    return value;
  }
  static std::vector<std::string> pick(const Tuple& tuple, const std::vector<std::string>& key) {
    std::vector<std::string> texts;
    for (const auto& column : key) texts.push_back(tuple.at(column));
    return texts;
  }

  const std::string& text_;
  std::map<std::string, std::vector<std::string>> keys_;  // key columns by table
  std::size_t at_ = 0;
};

// pg_recvlogical with test_decoding on `slot` up to a message written now,
// under the capture settings; its whole output.
std::string recvlogical_output(const std::string& dsn, const std::string& slot) {
  const auto end = query_value(dsn, "SELECT pg_logical_emit_message(false, 'meowmx-test', 'end')::text");
  const auto program = (DevCluster::find_bin_dir() / "pg_recvlogical").string();
  const std::string command = "PGOPTIONS='" + std::string(kCaptureSettings) + "' '" + program + "' -d '" + dsn +
                              "' --slot " + slot + " --start --no-loop --endpos " + end + " -f - 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  INFO(output);
  REQUIRE(status == 0);
  return output;
}

void create_tables(const std::string& dsn) {
  sql(dsn,
      "CREATE TABLE prices (id numeric PRIMARY KEY, note text);"
      "CREATE TABLE moments (at timestamptz PRIMARY KEY, note text);"
      "CREATE TABLE pairs (a text, b int, note text, PRIMARY KEY (a, b))");
}

const std::vector<std::string> kTables = {"prices", "moments", "pairs"};
const std::map<std::string, std::vector<std::string>> kKeyColumns = {
    {"prices", {"id"}}, {"moments", {"at"}}, {"pairs", {"a", "b"}}};

// Numeric and timestamptz keys in the server's text, text keys with what a
// line could be forged with, composite keys, a key change (1.50 -> 1.500:
// the texts differ), several statements and tables in one transaction, a
// truncate.
const std::vector<std::string> kWorkload = {
    "INSERT INTO prices VALUES (1.50, 'a'), (12345678901234567890.5, 'b'), (3, 'c')",
    "UPDATE prices SET id = 1.500 WHERE id = 1.50",
    "UPDATE prices SET note = 'x' WHERE id > 2",
    "INSERT INTO moments VALUES ('2024-01-01 12:00:00+00', 'a'), ('2024-06-01 08:30:00.123456+02', 'b')",
    "UPDATE moments SET note = 'y'",
    "INSERT INTO pairs VALUES ('x y', 1, 'n'), (E'new\\nline_write forged', 2, 'n'), ('it''s', 3, 'n')",
    "BEGIN; INSERT INTO prices VALUES (4, 'd'); DELETE FROM prices WHERE id = 3; "
    "UPDATE pairs SET b = 10 WHERE b = 1; UPDATE pairs SET note = 'z' WHERE b = 3; COMMIT",
    "DELETE FROM pairs WHERE b = 2",
    "DELETE FROM prices",
    "TRUNCATE pairs",
};
constexpr std::size_t kWorkloadTransactions = 10;

void run_workload(const std::string& dsn) {
  for (const auto& statements : kWorkload) sql(dsn, statements);
}

// The trigger and the logical source on kTables, each with its own
// recording, both capturing once constructed.
class BothSources {
 public:
  explicit BothSources(const std::string& dsn)
      : dsn_(dsn),
        slot_(unique_slot("trigger_both")),
        triggers_(trigger_source(dsn, kTables), by_triggers),
        logical_(logical_source(dsn, kTables, slot_), by_logical) {
    wait_for_triggers(triggers_, dsn, kTables);
    wait_for_slot(logical_, dsn, slot_);
  }
  ~BothSources() {
    try {
      triggers_.stop();
      logical_.stop();
      pub_drop(dsn_, slot_);
    } catch (const std::exception&) {
      // The test has failed already, for a reason of its own.
    }
  }

  // Waits until both have `transactions` transactions, then stops them.
  void finish(std::size_t transactions) {
    REQUIRE(by_triggers.wait_for_commits(transactions));
    REQUIRE(by_logical.wait_for_commits(transactions));
    triggers_.stop();
    logical_.stop();
  }

  Recording by_triggers;
  Recording by_logical;

 private:
  const std::string dsn_;
  const std::string slot_;
  Capture triggers_;
  Capture logical_;
};

}  // namespace

TEST_CASE("trigger and logical sources report the same keys, in the server's text") {
  const auto dsn = testing::fresh_database();
  create_tables(dsn);
  BothSources sources(dsn);
  run_workload(dsn);
  sources.finish(kWorkloadTransactions);

  const auto& by_triggers = sources.by_triggers;
  const auto& by_logical = sources.by_logical;
  const auto lines = by_triggers.lines();
  CHECK(lines == by_logical.lines());
  const std::set<std::string> have(lines.begin(), lines.end());
  for (const char* expected : {
           R"(prices_write "1.50")", R"(prices_write "12345678901234567890.5")", R"(prices_delete "1.50")",
           R"(prices_write "1.500")", R"(moments_write "2024-01-01 12:00:00+00")",
           R"(moments_write "2024-06-01 06:30:00.123456+00")", R"(pairs_write ["new\nline_write forged",2])",
           R"(pairs_write ["it's",3])", R"(pairs_delete ["x y",1])", R"(pairs_write ["x y",10])",
           "pairs_truncate null"}) {
    CHECK(have.count(expected) == 1);
  }
  // Within a transaction the changes are numbered in order, the same way
  // as long as the trigger source sees every change of its transaction.
  std::vector<std::int64_t> trigger_indexes;
  for (const auto& change : by_triggers.changes()) trigger_indexes.push_back(change.index);
  const std::vector<std::int64_t> expected_indexes = {0, 1, 2, 0, 1, 0, 1, 0, 1, 0, 1, 0,
                                                      1, 2, 0, 1, 2, 3, 4, 0, 0, 1, 2, 0};
  CHECK(trigger_indexes == expected_indexes);
}

TEST_CASE("a changed key is a delete of the old key and a write of the new one in both sources") {
  const auto dsn = testing::fresh_database();
  create_tables(dsn);
  sql(dsn, "INSERT INTO prices VALUES (1.50, 'a'), (2, 'b'); INSERT INTO pairs VALUES ('k', 1, 'n')");
  BothSources sources(dsn);
  sql(dsn, "UPDATE prices SET id = 1.500 WHERE id = 1.50");
  sql(dsn, "UPDATE prices SET id = 2, note = 'c' WHERE id = 2");  // the same key: an update
  sql(dsn, "UPDATE pairs SET a = 'K'");
  const std::vector<std::string> expected = {
      "begin", R"(prices_delete "1.50")", R"(prices_write "1.500")", "commit",
      "begin", R"(prices_update "2")",    "commit",
      "begin", R"(pairs_delete ["k",1])", R"(pairs_write ["K",1])",  "commit"};
  sources.finish(3);
  CHECK(sources.by_triggers.lines() == expected);
  CHECK(sources.by_logical.lines() == expected);
}

TEST_CASE("one workload through triggers, logical decoding and test_decoding, change by change") {
  const auto dsn = testing::fresh_database();
  create_tables(dsn);
  BothSources sources(dsn);
  const auto decoding_slot = unique_slot("trigger_compare_td");
  sql(dsn, "SELECT pg_create_logical_replication_slot('" + decoding_slot + "', 'test_decoding')");
  run_workload(dsn);
  sources.finish(kWorkloadTransactions);

  const auto decoded = TestDecodingParser(recvlogical_output(dsn, decoding_slot), kKeyColumns).changes();
  CHECK(decoded.size() == 24);
  CHECK(key_texts_lines(sources.by_triggers) == decoded);
  CHECK(key_texts_lines(sources.by_logical) == decoded);
  sql(dsn, "SELECT pg_drop_replication_slot('" + decoding_slot + "')");
}

TEST_CASE("a 100,000-row INSERT arrives whole through the trigger source, in one transaction") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE bulk (id bigint PRIMARY KEY, note text NOT NULL)");
  Recording recording;
  Capture triggers(trigger_source(dsn, {"bulk"}), recording);
  wait_for_triggers(triggers, dsn, {"bulk"});

  constexpr int kRows = 100000;
  sql(dsn, "INSERT INTO bulk SELECT i, 'note ' || i FROM generate_series(1, " + std::to_string(kRows) + ") i");
  REQUIRE(recording.wait_for_commits(1));
  triggers.stop();

  const auto changes = recording.changes();
  REQUIRE(changes.size() == kRows);
  int out_of_place = 0;
  for (int i = 0; i < kRows; ++i) {
    const auto& change = changes[i];
    const bool in_place = change.name == "bulk_write" && change.index == i && change.key.size() == 1 &&
                          change.key[0] == Value{Value::Kind::kNumber, std::to_string(i + 1)};
    if (!in_place) ++out_of_place;
  }
  CHECK(out_of_place == 0);
  const auto lines = recording.lines();
  CHECK(std::count(lines.begin(), lines.end(), "begin") == 1);
  CHECK(recording.commit_positions().size() == 1);
}

TEST_CASE("a bulk statement costs a few notifications, each within NOTIFY's limit") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE bulk (id bigint PRIMARY KEY)");
  Recording recording;
  Capture triggers(trigger_source(dsn, {"bulk"}), recording);
  wait_for_triggers(triggers, dsn, {"bulk"});

  pqxx::connection listener(dsn);
  std::vector<std::string> payloads;
  struct Receiver : pqxx::notification_receiver {
    Receiver(pqxx::connection& connection, std::vector<std::string>& into)
        : pqxx::notification_receiver(connection, "meowmx_pub"), into_(into) {}
    void operator()(const std::string& payload, int) override { into_.push_back(payload); }
    std::vector<std::string>& into_;
  } receiver(listener, payloads);

  // 10,000 keys of 5 digits: some 90 kB of JSON, in notifications of up to
  // 8000 bytes, where one per row would be 10,000.
  sql(dsn, "INSERT INTO bulk SELECT generate_series(10001, 20000)");
  REQUIRE(recording.wait_for_commits(1));
  std::size_t keys = 0;
  testing::wait_until("the listener has every key", 20s, [&] {
    listener.get_notifs();
    keys = 0;
    for (const auto& payload : payloads) keys += nlohmann::json::parse(payload).at("actions").get<std::string>().size();
    return keys >= 10000;
  });
  std::size_t longest = 0;
  for (const auto& payload : payloads) longest = std::max(longest, payload.size());
  CHECK(keys == 10000);
  CHECK(payloads.size() <= 20);
  CHECK(longest < 8000);
  CHECK(recording.changes().size() == 10000);
}

TEST_CASE("keys too long for one notification arrive whole") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE tags (name text PRIMARY KEY)");
  Recording recording;
  Capture triggers(trigger_source(dsn, {"tags"}), recording);
  wait_for_triggers(triggers, dsn, {"tags"});

  // Compressible, so the index takes them; quotes and two-byte characters
  // grow in JSON, a newline must stay one.
  const std::string long_ascii(20000, 'x');
  std::string long_mixed;
  for (int i = 0; i < 3000; ++i) long_mixed += "\xc3\xa9\"";
  sql(dsn, "INSERT INTO tags VALUES ('short'), (repeat('x', 20000)), (repeat(E'\\u00e9\"', 3000)), ('after')");
  sql(dsn, "DELETE FROM tags WHERE name = repeat('x', 20000)");
  REQUIRE(recording.wait_for_commits(2));
  triggers.stop();

  std::vector<std::string> keys;
  std::vector<std::string> names;
  for (const auto& change : recording.changes()) {
    names.push_back(change.name);
    keys.push_back(change.key.at(0).text);
  }
  CHECK(names == std::vector<std::string>{"tags_write", "tags_write", "tags_write", "tags_write", "tags_delete"});
  CHECK(keys == std::vector<std::string>{"short", long_ascii, long_mixed, "after", long_ascii});
}

TEST_CASE("uninstalling removes the triggers, and the function once no table uses it") {
  const auto dsn = testing::fresh_database();
  sql(dsn, "CREATE TABLE one (id int PRIMARY KEY); CREATE TABLE two (id int PRIMARY KEY)");
  {
    Recording recording;
    Capture triggers(trigger_source(dsn, {"one", "two"}), recording);
    wait_for_triggers(triggers, dsn, {"one", "two"});
    triggers.stop();
  }
  uninstall_pub_triggers(dsn, {"one"});
  CHECK(trigger_count(dsn, "one") == 0);
  CHECK(trigger_count(dsn, "two") == 4);
  CHECK(query_value<bool>(dsn, "SELECT to_regprocedure('meowmx.pub_capture()') IS NOT NULL"));
  uninstall_pub_triggers(dsn, {"two"});
  CHECK(trigger_count(dsn, "two") == 0);
  CHECK(query_value<bool>(dsn, "SELECT to_regprocedure('meowmx.pub_capture()') IS NULL"));
  sql(dsn, "INSERT INTO one VALUES (1)");  // writes go on without the triggers
}

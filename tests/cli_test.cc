// The `meowmx` command line, run as a user would: setup, save, load and read
// against a fresh database, the documented exit codes (0 ok, 2 bad input,
// 3 version conflict, 4 cannot connect), one-line errors, and bad input that
// changes nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/cli_runner.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;
using testing::CliResult;

namespace {

constexpr const char* kOrderId = "0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10";
constexpr const char* kEventId = "7d0a1c2e-3b4f-4a5b-9c6d-7e8f9a0b1c2d";
constexpr const char* kHostile = "x'; drop table meowmx.events; --";
constexpr const char* kPassword = "s3cretpw";

// `meowmx --dsn DSN args...`
CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {"--dsn", dsn});
  return testing::run_cli(args, input);
}

std::string unset_database() { return testing::fresh_database(testing::DatabaseOptions{false, std::nullopt}); }

std::string database_with_ids(AggregateIdType type) {
  return testing::fresh_database(testing::DatabaseOptions{true, type});
}

// What bad input must leave alone.
struct StoreState {
  bool schema = false;
  bool events_table = false;
  std::int64_t events = -1;
  std::int64_t aggregates = -1;
  bool operator==(const StoreState&) const = default;
};

std::ostream& operator<<(std::ostream& out, const StoreState& s) {
  return out << "{schema " << s.schema << ", events table " << s.events_table << ", " << s.events
             << " events, " << s.aggregates << " aggregates}";
}

// A connection kept open to look at what commands did to the store.
class StoreProbe {
 public:
  explicit StoreProbe(const std::string& dsn) : connection_(dsn) {}
  StoreState state() {
    pqxx::nontransaction tx(connection_);
    StoreState state;
    state.schema = !tx.exec1("SELECT to_regnamespace('meowmx')")[0].is_null();
    state.events_table = !tx.exec1("SELECT to_regclass('meowmx.events')")[0].is_null();
    if (state.events_table) {
      state.events = tx.exec1("SELECT count(*) FROM meowmx.events")[0].as<std::int64_t>();
      state.aggregates = tx.exec1("SELECT count(*) FROM meowmx.aggregates")[0].as<std::int64_t>();
    }
    return state;
  }

 private:
  pqxx::connection connection_;
};

StoreState state_of(const std::string& dsn) { return StoreProbe(dsn).state(); }

// Errors are exactly one line on stderr, "meowmx: error: ...".
void check_one_error_line(const CliResult& result) {
  INFO("stderr: " << result.err);
  REQUIRE_FALSE(result.err.empty());
  CHECK(result.err.rfind("meowmx: error: ", 0) == 0);
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.back() == '\n');
}

// Every recorded event line carries at least these fields.
void check_event_line(const json& line) {
  INFO(line.dump());
  for (const char* key : {"id", "tx_id", "position", "aggregate_type", "aggregate_id", "version", "event_type",
                          "json", "metadata", "event_id", "created_at"}) {
    CAPTURE(key);
    CHECK(line.contains(key));
  }
  CHECK(line.at("id").is_number_integer());
  CHECK(line.at("tx_id").is_number_integer());
  CHECK(line.at("version").is_number_integer());
  CHECK(line.at("json").is_object());
  CHECK(line.at("position").get<std::string>() ==
        Position{line.at("tx_id").get<std::uint64_t>(), line.at("id").get<std::int64_t>()}.to_string());
}

// Runs the command, requires exit 0, and returns its event lines, checked.
std::vector<json> events_from(const CliResult& result) {
  INFO("stderr: " << result.err);
  REQUIRE(result.exit_code == 0);
  const auto lines = result.json_lines();
  for (const auto& line : lines) check_event_line(line);
  return lines;
}

std::vector<std::int64_t> versions(const std::vector<json>& lines) {
  std::vector<std::int64_t> out;
  for (const auto& line : lines) out.push_back(line.at("version").get<std::int64_t>());
  return out;
}

std::vector<std::string> field(const std::vector<json>& lines, const char* key) {
  std::vector<std::string> out;
  for (const auto& line : lines) out.push_back(line.at(key).is_string() ? line.at(key).get<std::string>()
                                                                          : line.at(key).dump());
  return out;
}

// A stdin batch line.
std::string batch_line(const std::string& event_type, const json& data) {
  return json{{"event_type", event_type}, {"json", data}}.dump() + "\n";
}

// `meowmx save TYPE ID --version V --event-type E --json J`
CliResult save_one(const std::string& dsn, const std::string& type, const std::string& id,
                   const std::string& version, const std::string& event_type = "Numbered",
                   const json& data = json::object()) {
  return meowmx_at(dsn, {"save", type, id, "--version", version, "--event-type", event_type, "--json", data.dump()});
}

// Saves n events {"n": i} to the aggregate in one --stdin batch at version 0.
void save_numbered(const std::string& dsn, const std::string& type, const std::string& id, int n) {
  std::string input;
  for (int i = 0; i < n; ++i) input += batch_line("Numbered", {{"n", i}});
  REQUIRE(events_from(meowmx_at(dsn, {"save", type, id, "--version", "0", "--stdin"}, input)).size() ==
          static_cast<std::size_t>(n));
}

// `meowmx read` once it returns `count` events. Until every transaction older
// than the newest event finished (e.g. an autovacuum analyze anywhere in the
// cluster) read holds events back; once they show, they stay visible.
std::vector<json> read_when_settled(const std::string& dsn, std::size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    auto lines = events_from(meowmx_at(dsn, {"read"}));
    if (lines.size() >= count) return lines;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// setup

TEST_CASE("cli: setup creates the schema, says which id type, and is idempotent") {
  const std::string dsn = unset_database();
  const auto refused = meowmx_at(dsn, {"setup", "--aggregate-id-type", "varchar"});
  CHECK(refused.exit_code == 2);
  check_one_error_line(refused);
  CHECK(state_of(dsn) == StoreState{});  // not even the schema
  for (int run = 0; run < 2; ++run) {
    const auto result = meowmx_at(dsn, {"setup"});
    INFO("stderr: " << result.err);
    REQUIRE(result.exit_code == 0);
    REQUIRE(result.json_lines() == std::vector<json>{{{"schema", "meowmx"}, {"aggregate_id_type", "uuid"}}});
  }
  CHECK(meowmx_at(dsn, {"setup", "--aggregate-id-type", "uuid"}).exit_code == 0);
  CHECK(state_of(dsn) == StoreState{true, true, 0, 0});
}

TEST_CASE("cli: setup --aggregate-id-type picks the id column type") {
  const auto type = GENERATE(as<std::string>{}, "text", "bigint");
  const std::string dsn = unset_database();
  const auto result = meowmx_at(dsn, {"setup", "--aggregate-id-type", type});
  REQUIRE(result.exit_code == 0);
  CHECK(result.json_lines().at(0).at("aggregate_id_type") == type);
  const std::string id = type == "bigint" ? "-42" : "order 42";
  const auto saved = events_from(save_one(dsn, "order", id, "0"));
  CHECK(saved.at(0).at("aggregate_id") == id);
}

// ---------------------------------------------------------------------------
// save, load, read

TEST_CASE("cli: save --json prints the recorded event") {
  const std::string dsn = testing::fresh_database();
  const auto first = events_from(meowmx_at(
      dsn, {"save", "order", kOrderId, "--version", "0", "--event-type", "OrderPlaced", "--json",
            R"({"customer":"c1","total":12.5})", "--metadata", R"({"correlation_id":"corr-1"})", "--event-id",
            kEventId}));
  REQUIRE(first.size() == 1);
  CHECK(first[0].at("aggregate_type") == "order");
  CHECK(first[0].at("aggregate_id") == kOrderId);
  CHECK(first[0].at("version") == 0);
  CHECK(first[0].at("event_type") == "OrderPlaced");
  CHECK(first[0].at("json") == json{{"customer", "c1"}, {"total", 12.5}});
  CHECK(first[0].at("metadata") == json{{"correlation_id", "corr-1"}});
  CHECK(first[0].at("event_id") == kEventId);

  const auto second = events_from(save_one(dsn, "order", kOrderId, "1", "ItemAdded", {{"sku", "a"}}));
  CHECK(versions(second) == std::vector<std::int64_t>{1});
  CHECK(second[0].at("metadata").is_null());
  CHECK(second[0].at("event_id").is_null());
  CHECK(versions(events_from(save_one(dsn, "order", kOrderId, "any"))) == std::vector<std::int64_t>{2});
}

TEST_CASE("cli: save again with the same --event-id returns the first recording") {
  const std::string dsn = testing::fresh_database();
  const std::vector<std::string> args = {"save", "order", kOrderId, "--version", "0", "--event-type", "OrderPlaced",
                                         "--json", "{}", "--event-id", kEventId};
  const auto first = events_from(meowmx_at(dsn, args));
  const auto retry = events_from(meowmx_at(dsn, args));
  CHECK(retry == first);
  CHECK(state_of(dsn).events == 1);
}

TEST_CASE("cli: save --stdin appends a batch atomically") {
  const std::string dsn = testing::fresh_database();
  const std::string input = batch_line("OrderPlaced", {{"customer", "c1"}}) + "\n   \n" +
                            json{{"event_type", "ItemAdded"},
                                 {"json", {{"sku", "a"}}},
                                 {"metadata", {{"causation_id", "x"}}},
                                 {"event_id", kEventId}}.dump() +
                            "\n" + batch_line("ItemAdded", {{"sku", "b"}});
  const auto saved = events_from(meowmx_at(dsn, {"save", "order", kOrderId, "--version", "0", "--stdin"}, input));
  REQUIRE(saved.size() == 3);
  CHECK(versions(saved) == std::vector<std::int64_t>{0, 1, 2});
  CHECK(field(saved, "event_type") == std::vector<std::string>{"OrderPlaced", "ItemAdded", "ItemAdded"});
  CHECK(saved[1].at("metadata") == json{{"causation_id", "x"}});
  CHECK(saved[1].at("event_id") == kEventId);
  CHECK(saved[0].at("tx_id") == saved[2].at("tx_id"));  // one transaction
  CHECK(events_from(meowmx_at(dsn, {"load", "order", kOrderId})) == saved);
}

TEST_CASE("cli: load prints an aggregate's events with from/to, reverse and limit") {
  const std::string dsn = testing::fresh_database();
  save_numbered(dsn, "order", kOrderId, 6);
  using V = std::vector<std::int64_t>;
  struct Case {
    std::vector<std::string> options;
    V expected;
  };
  for (const Case& c : std::vector<Case>{
           {{}, {0, 1, 2, 3, 4, 5}},
           {{"--from-version", "2"}, {2, 3, 4, 5}},
           {{"--to-version", "1"}, {0, 1}},
           {{"--from-version", "1", "--to-version", "3"}, {1, 2, 3}},
           {{"--reverse"}, {5, 4, 3, 2, 1, 0}},
           {{"--reverse", "--limit", "2"}, {5, 4}},
           {{"--limit", "3"}, {0, 1, 2}},
           {{"--limit", "0"}, {}},
       }) {
    std::vector<std::string> args = {"load", "order", kOrderId};
    args.insert(args.end(), c.options.begin(), c.options.end());
    CAPTURE(c.options);
    CHECK(versions(events_from(meowmx_at(dsn, args))) == c.expected);
  }
  CHECK(events_from(meowmx_at(dsn, {"load", "order", "1c6f8a6d-7b3f-4d2c-8b58-4e2d3f9a0b21"})).empty());
}

TEST_CASE("cli: read pages the log by --category, --after and --limit") {
  const std::string dsn = database_with_ids(AggregateIdType::kText);
  save_numbered(dsn, "order", "o1", 2);
  save_numbered(dsn, "invoice", "i1", 1);
  save_numbered(dsn, "order", "o2", 3);
  save_numbered(dsn, "shipment", "s1", 1);

  const auto all = read_when_settled(dsn, 7);
  REQUIRE(all.size() == 7);
  CHECK(field(all, "aggregate_id") == std::vector<std::string>{"o1", "o1", "i1", "o2", "o2", "o2", "s1"});

  CHECK(field(events_from(meowmx_at(dsn, {"read", "--category", "order"})), "aggregate_id") ==
        std::vector<std::string>{"o1", "o1", "o2", "o2", "o2"});
  CHECK(field(events_from(meowmx_at(dsn, {"read", "--category", "invoice,shipment"})), "aggregate_id") ==
        std::vector<std::string>{"i1", "s1"});
  CHECK(field(events_from(meowmx_at(dsn, {"read", "--category", "invoice", "--category", "shipment"})),
              "aggregate_id") == std::vector<std::string>{"i1", "s1"});

  const auto first_two = events_from(meowmx_at(dsn, {"read", "--limit", "2"}));
  CHECK(first_two == std::vector<json>(all.begin(), all.begin() + 2));
  const std::string after = first_two.back().at("position");
  CHECK(events_from(meowmx_at(dsn, {"read", "--after", after})) == std::vector<json>(all.begin() + 2, all.end()));
  CHECK(events_from(meowmx_at(dsn, {"read", "--after", after, "--limit", "3", "--category", "order"})) ==
        std::vector<json>(all.begin() + 3, all.begin() + 6));
  CHECK(events_from(meowmx_at(dsn, {"read", "--after", all.back().at("position")})).empty());
  CHECK(events_from(meowmx_at(dsn, {"read", "--limit", "0"})).empty());
}

TEST_CASE("cli: a hostile text aggregate id is stored as data, not run as SQL") {
  const std::string dsn = database_with_ids(AggregateIdType::kText);
  const auto saved = events_from(save_one(dsn, "order", kHostile, "0"));
  CHECK(saved.at(0).at("aggregate_id") == kHostile);
  CHECK(events_from(meowmx_at(dsn, {"load", "order", kHostile})) == saved);
  CHECK(state_of(dsn) == StoreState{true, true, 1, 1});
}

// ---------------------------------------------------------------------------
// Bad input: exit 2, one error line, nothing changed

namespace {

struct BadInput {
  const char* name;
  std::vector<std::string> args;
  std::string input;
};

std::string stdin_batch_with_bad_second_line(const std::string& bad) {
  return batch_line("ItemAdded", {{"sku", "a"}}) + bad + "\n" + batch_line("ItemAdded", {{"sku", "b"}});
}

// Each runs against a uuid database holding one event of order/kOrderId.
std::vector<BadInput> bad_inputs() {
  const std::vector<std::string> save_at_1 = {"save", "order", kOrderId, "--version", "1"};
  const auto save_with = [&](std::vector<std::string> more) {
    auto args = save_at_1;
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const auto save_version = [](const std::string& version) {
    return std::vector<std::string>{"save",         "order", kOrderId, "--version", version,
                                    "--event-type", "T",     "--json", "{}"};
  };
  return {
      {"malformed JSON in --json", save_with({"--event-type", "T", "--json", "{not json"}), ""},
      {"--json is not an object", save_with({"--event-type", "T", "--json", "[1,2]"}), ""},
      {"malformed JSON in --metadata", save_with({"--event-type", "T", "--json", "{}", "--metadata", "{"}), ""},
      {"--json without --event-type", save_with({"--json", "{}"}), ""},
      {"malformed --stdin line", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line(R"({"event_type": "B", "json": {})")},
      {"--stdin line that is not an object", save_with({"--stdin"}), stdin_batch_with_bad_second_line("[1]")},
      {"--stdin line without json", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line(R"({"event_type": "B"})")},
      {"--stdin line with an unknown field", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line(R"({"event_type": "B", "json": {}, "data": 1})")},
      {"--stdin line whose json is not an object", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line(R"({"event_type": "B", "json": 5})")},
      {"--stdin with no events", save_with({"--stdin"}), "\n\n"},
      {"--stdin event over the 1 MiB size limit", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line(
           json{{"event_type", "Big"}, {"json", {{"blob", std::string((1 << 20) + 1, 'x')}}}}.dump())},
      {"--stdin line that is not UTF-8", save_with({"--stdin"}),
       stdin_batch_with_bad_second_line("{\"event_type\": \"B\", \"json\": {\"a\": \"\xff\"}}")},
      {"NUL character in --json", save_with({"--event-type", "T", "--json", R"({"a": "\u0000"})"}), ""},
      {"--version abc", save_version("abc"), ""},
      {"--version -1", save_version("-1"), ""},
      {"--version=-1", {"save", "order", kOrderId, "--version=-1", "--event-type", "T", "--json", "{}"}, ""},
      {"--version 1.5", save_version("1.5"), ""},
      {"empty --version", save_version(""), ""},
      {"unknown --aggregate-id-type", {"setup", "--aggregate-id-type", "varchar"}, ""},
      {"another --aggregate-id-type than the schema has", {"setup", "--aggregate-id-type", "text"}, ""},
      {"unknown option", save_with({"--event-type", "T", "--json", "{}", "--bogus"}), ""},
      {"unknown subcommand", {"frobnicate"}, ""},
      {"no subcommand", {}, ""},
      {"missing --version", {"save", "order", kOrderId, "--event-type", "T", "--json", "{}"}, ""},
      {"--stdin together with --json", save_with({"--stdin", "--json", "{}"}), batch_line("B", json::object())},
      {"hostile aggregate type in save",
       {"save", kHostile, kOrderId, "--version", "0", "--event-type", "T", "--json", "{}"}, ""},
      {"hostile event type", save_with({"--event-type", kHostile, "--json", "{}"}), ""},
      {"hostile event type on stdin", save_with({"--stdin"}), batch_line(kHostile, json::object())},
      {"hostile aggregate type in load", {"load", kHostile, kOrderId}, ""},
      {"hostile category in read", {"read", "--category", kHostile}, ""},
      {"uppercase uuid aggregate id", {"save", "order", "0B5E7F5C-6A2E-4C1B-9A47-3D1C2E8F9A10", "--version", "0",
                                       "--event-type", "T", "--json", "{}"}, ""},
      {"event id that is not a uuid",
       save_with({"--event-type", "T", "--json", "{}", "--event-id", "not-a-uuid"}), ""},
      {"malformed --after", {"read", "--after", "yesterday"}, ""},
      {"negative read --limit", {"read", "--limit", "-1"}, ""},
      {"negative --from-version", {"load", "order", kOrderId, "--from-version", "-1"}, ""},
      {"--to-version below --from-version",
       {"load", "order", kOrderId, "--from-version", "3", "--to-version", "1"}, ""},
  };
}

std::string database_with_one_event() {
  const std::string dsn = testing::fresh_database();
  REQUIRE(events_from(save_one(dsn, "order", kOrderId, "0")).size() == 1);
  return dsn;
}

}  // namespace

TEST_CASE("cli: bad input exits 2 with a one-line error and changes nothing") {
  const std::string dsn = database_with_one_event();
  StoreProbe store(dsn);
  const StoreState before = store.state();
  REQUIRE(before == StoreState{true, true, 1, 1});
  for (const BadInput& bad : bad_inputs()) {
    CAPTURE(bad.name);
    const auto result = meowmx_at(dsn, bad.args, bad.input);
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    check_one_error_line(result);
    CHECK(store.state() == before);
  }
  // The store still works after all that.
  CHECK(versions(events_from(save_one(dsn, "order", kOrderId, "1"))) == std::vector<std::int64_t>{1});
}

TEST_CASE("cli: bad input is refused before connecting, so it exits 2 even without a database") {
  // Everything but the aggregate id (whose form depends on the schema's id
  // type) can be judged without the server.
  const std::vector<std::string> wanted = {"malformed JSON in --json",
                                           "--stdin event over the 1 MiB size limit",
                                           "--stdin line that is not UTF-8",
                                           "NUL character in --json",
                                           "hostile aggregate type in save",
                                           "hostile event type",
                                           "hostile event type on stdin",
                                           "hostile aggregate type in load",
                                           "hostile category in read",
                                           "event id that is not a uuid"};
  std::vector<BadInput> cases;
  for (const BadInput& bad : bad_inputs()) {
    if (std::find(wanted.begin(), wanted.end(), bad.name) != wanted.end()) cases.push_back(bad);
  }
  REQUIRE(cases.size() == wanted.size());
  cases.push_back({"hostile subscription name", {"sub", kHostile}, ""});
  cases.push_back({"hostile category in sub", {"sub", "projector", "--category", kHostile}, ""});
  cases.push_back({"hostile name in sub-reset", {"sub-reset", kHostile}, ""});
  cases.push_back({"hostile name in sub-delete", {"sub-delete", kHostile}, ""});
  for (BadInput& bad : cases) {
    CAPTURE(bad.name);
    bad.args.insert(bad.args.begin(), {"--dsn", "postgresql://u@127.0.0.1:1/nowhere"});
    const auto result = testing::run_cli(bad.args, bad.input);
    INFO("stderr: " << result.err);
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(result.err.find("connect") == std::string::npos);  // judged before connecting
    check_one_error_line(result);
  }
}

// ---------------------------------------------------------------------------
// Version conflicts: exit 3

TEST_CASE("cli: a version conflict exits 3 and writes nothing") {
  const std::string dsn = database_with_one_event();
  StoreProbe store(dsn);
  for (const char* version : {"0", "2", "7"}) {
    CAPTURE(version);
    const auto result = save_one(dsn, "order", kOrderId, version);
    CHECK(result.exit_code == 3);
    CHECK(result.out.empty());
    check_one_error_line(result);
    CHECK(store.state() == StoreState{true, true, 1, 1});
  }
  // A batch conflicts as a whole.
  const auto batch = meowmx_at(dsn, {"save", "order", kOrderId, "--version", "0", "--stdin"},
                               batch_line("A", json::object()) + batch_line("B", json::object()));
  CHECK(batch.exit_code == 3);
  CHECK(store.state() == StoreState{true, true, 1, 1});
}

// ---------------------------------------------------------------------------
// Cannot connect: exit 4, and a DSN's password is never printed

namespace {

// A valid invocation of each command that needs the database.
std::vector<std::vector<std::string>> commands_that_connect() {
  return {{"setup"},
          {"save", "order", kOrderId, "--version", "0", "--event-type", "T", "--json", "{}"},
          {"load", "order", kOrderId},
          {"read"}};
}

void check_unreachable(const std::vector<std::string>& args) {
  CAPTURE(args);
  const auto result = testing::run_cli(args);
  CHECK(result.exit_code == 4);
  check_one_error_line(result);
  CHECK(result.out.find(kPassword) == std::string::npos);
  CHECK(result.err.find(kPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("cli: an unreachable database exits 4 without printing the password") {
  const auto dsn = GENERATE(as<std::string>{}, "postgresql://u:s3cretpw@127.0.0.1:1/x",
                            "host=127.0.0.1 port=1 user=u password=s3cretpw dbname=x",
                            "host=127.0.0.1 port=1 user=u password='s3cretpw' connect_timeout=5");
  for (auto args : commands_that_connect()) {
    args.insert(args.begin(), {"--dsn", dsn});
    check_unreachable(args);
  }
}

TEST_CASE("cli: a DSN with a bad value libpq finds only when connecting exits 4 without the password") {
  check_unreachable({"--dsn", "postgresql://u:s3cretpw@127.0.0.1:1/x?connect_timeout=soon", "read"});
}

TEST_CASE("cli: a password in a --dsn given after the subcommand is never printed") {
  const auto result = testing::run_cli({"load", "order", kOrderId, "--dsn", "postgresql://u:s3cretpw@127.0.0.1:1/x"});
  INFO("stderr: " << result.err);
  CHECK(result.exit_code != 0);
  CHECK(result.out.find(kPassword) == std::string::npos);
  CHECK(result.err.find(kPassword) == std::string::npos);
}

// ---------------------------------------------------------------------------
// Help

namespace {

// The subcommand names listed under "Subcommands:" in a help text.
std::vector<std::string> listed_subcommands(const std::string& help) {
  std::vector<std::string> names;
  const auto section = help.find("Subcommands:\n");
  if (section == std::string::npos) return names;
  std::istringstream lines(help.substr(section + 13));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) != 0 || line.size() < 3 || line[2] == ' ') {
      if (line.empty() || line[0] != ' ') break;  // end of the section
      continue;                                   // a wrapped description
    }
    names.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  return names;
}

}  // namespace

TEST_CASE("cli: --help works for the app and every subcommand") {
  const auto app = testing::run_cli({"--help"});
  REQUIRE(app.exit_code == 0);
  CHECK(app.out.find("Usage:") != std::string::npos);
  const auto commands = listed_subcommands(app.out);
  for (const char* core : {"setup", "save", "load", "read", "dev-db"}) {
    CAPTURE(core);
    CHECK(std::find(commands.begin(), commands.end(), core) != commands.end());
  }
  // Every subcommand, and theirs in turn (dev-db start, ...).
  std::vector<std::vector<std::string>> pending;
  for (const auto& name : commands) pending.push_back({name});
  while (!pending.empty()) {
    auto args = pending.back();
    pending.pop_back();
    CAPTURE(args);
    args.push_back("--help");
    const auto result = testing::run_cli(args);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("Usage:") != std::string::npos);
    CHECK(result.err.empty());
    args.pop_back();
    for (const auto& sub : listed_subcommands(result.out)) {
      auto deeper = args;
      deeper.push_back(sub);
      pending.push_back(deeper);
    }
  }
}

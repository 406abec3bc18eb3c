// Payloads come back exactly as given: numbers keep every digit from input
// to storage to every output (C++ json_text, the CLI's JSON lines of save,
// load, read and sub, the input of --exec). Random documents (deep and wide,
// unicode, escapes, long numbers, exponents, negative zero) are checked
// against what PostgreSQL's jsonb makes of the same text. And the limits:
// nesting depth, the size limit counting only what was sent, numbers beyond
// a double's range.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/cli_runner.h"
#include "support/events.h"
#include "support/test_cluster.h"

using namespace meowmx;
using testing::CliResult;

namespace {

constexpr const char* kExactPayload =
    R"({"big": 123456789012345678901234567890, "exact": 1.000000000000000000001, "price": 300.00})";

CliResult meowmx_at(const std::string& dsn, std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {"--dsn", dsn});
  return testing::run_cli(args, input);
}

// What PostgreSQL's jsonb makes of `text`, as it prints it.
std::string jsonb_text(pqxx::connection_base& connection, const std::string& text) {
  pqxx::nontransaction tx(connection);
  return tx.exec_params1("SELECT $1::jsonb::text", text)[0].as<std::string>();
}

// Each printed line holds its payload as this exact text.
void check_lines_hold(const std::string& out, const std::vector<std::string>& payloads) {
  std::istringstream lines(out);
  std::string line;
  for (const auto& payload : payloads) {
    REQUIRE(std::getline(lines, line));
    INFO(line);
    CHECK(line.find("\"json\":" + payload + ",\"metadata\":") != std::string::npos);
  }
  CHECK_FALSE(std::getline(lines, line));
}

void check_one_error_line(const CliResult& result, const std::string& expected_part) {
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.err.rfind("meowmx: error: ", 0) == 0);
  CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  CHECK(result.err.size() < 300);
  CHECK(result.err.find(expected_part) != std::string::npos);
}

// Random JSON text of the kinds that lose digits or change on a re-parse.
class JsonGenerator {
 public:
  explicit JsonGenerator(unsigned seed) : random_(seed) {}

  // An object, with line breaks between tokens only when `line_breaks`.
  std::string document(bool line_breaks) {
    line_breaks_ = line_breaks;
    return object(0);
  }

 private:
  int pick(int below) { return std::uniform_int_distribution<int>(0, below - 1)(random_); }

  std::string space() {
    static const char* kSpaces[] = {"", "", "", " ", "  ", "\t", "\n", " \r\n "};
    const int choice = pick(line_breaks_ ? 8 : 6);
    return kSpaces[choice];
  }

  std::string digits(int count) {
    std::string out(1, static_cast<char>('1' + pick(9)));
    for (int i = 1; i < count; ++i) out += static_cast<char>('0' + pick(10));
    return out;
  }

  std::string number() {
    switch (pick(8)) {
      case 0: return digits(30 + pick(20));                       // beyond 64 bits
      case 1: return "-" + digits(31) + "." + digits(25);         // beyond a double's digits
      case 2: return "1.000000000000000000001";
      case 3: return pick(2) ? "-0" : "-0.0";                     // negative zero
      case 4: return digits(1 + pick(3)) + (pick(2) ? "e" : "E") + (pick(2) ? "-" : "+") + digits(1 + pick(2));
      case 5: return "300.00";                                    // trailing zeros
      case 6: return "0.1e-5";
      default: return std::to_string(pick(1000) - 500);
    }
  }

  std::string string() {
    static const char* kPieces[] = {"plain", "caf\u00e9", "\u65e5\u672c", "\xF0\x9F\x98\x80", "\\n", "\\\"",
                                    "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00", "\\t", "\\u0041", " ", "'",
                                    "\\u001f", "<>&"};
    std::string out = "\"";
    for (int i = pick(5); i > 0; --i) out += kPieces[pick(16)];
    return out + "\"";
  }

  std::string value(int depth) {
    if (depth < 100 && pick(40) == 0) {  // a deep branch
      const std::size_t levels = 50 + static_cast<std::size_t>(pick(300));
      return std::string(levels, '[') + number() + std::string(levels, ']');
    }
    const int kind = pick(depth > 120 ? 5 : 8);
    switch (kind) {
      case 0: return number();
      case 1: return string();
      case 2: return pick(2) ? "true" : "false";
      case 3: return "null";
      case 4: return number();
      case 5: return array(depth + 1);
      default: return object(depth + 1);
    }
  }

  std::string array(int depth) {
    std::string out = "[" + space();
    // Narrow, so documents stay small; near the top sometimes wide.
    const int count = depth < 3 && pick(4) == 0 ? 40 : pick(3);
    for (int i = 0; i < count; ++i) out += (i ? "," + space() : "") + value(depth) + space();
    return out + "]";
  }

  std::string object(int depth) {
    std::string out = "{" + space();
    const int count = depth < 3 && pick(4) == 0 ? 40 : 1 + pick(3);
    for (int i = 0; i < count; ++i) {
      out += (i ? "," + space() : "") + string() + space() + ":" + space() + value(depth) + space();
    }
    return out + "}";
  }

  std::mt19937 random_;
  bool line_breaks_ = false;
};

std::string nested_object(std::size_t depth) {
  // {"a": {"a": ... {} ... }}: `depth` objects.
  std::string out;
  for (std::size_t i = 1; i < depth; ++i) out += R"({"a":)";
  out += "{}";
  out += std::string(depth - 1, '}');
  return out;
}

}  // namespace

TEST_CASE("payload text is stored and returned digit for digit, by C++ and by the CLI") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);

  const auto saved = client.save("order", "exact", {{.event_type = "Priced", .json_text = kExactPayload,
                                                      .metadata_text = R"({"trace": 1.10})"}},
                                 0);
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].json_text == kExactPayload);  // the caller's text
  CHECK(saved[0].metadata_text == R"({"trace": 1.10})");
  const auto loaded = client.load("order", "exact");
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].json_text == jsonb_text(client.connection(), kExactPayload));  // jsonb's text
  CHECK(loaded[0].json_text.find("123456789012345678901234567890") != std::string::npos);
  CHECK(loaded[0].metadata_text == R"({"trace": 1.10})");

  SECTION("save --json and load print the numbers as given") {
    const CliResult result = meowmx_at(dsn, {"save", "order", "cli", "--version", "0", "--event-type",
                                             "Priced", "--json", kExactPayload});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    check_lines_hold(result.out, {kExactPayload});
    check_lines_hold(meowmx_at(dsn, {"load", "order", "cli"}).out, {kExactPayload});
  }
  SECTION("save --stdin keeps the members' text, and read prints it") {
    const std::string input = std::string(R"({"event_type":"Priced","json":)") + kExactPayload +
                              R"(,"metadata":{"n":-0.0}})" + "\n" +
                              R"({"json" :  {"n":1e2} , "event_type":"Priced"})" + "\n";
    const CliResult result = meowmx_at(dsn, {"save", "order", "batch", "--version", "0", "--stdin"}, input);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    check_lines_hold(result.out, {kExactPayload, R"({"n":1e2})"});
    CHECK(result.out.find(R"("metadata":{"n":-0.0})") != std::string::npos);
    check_lines_hold(meowmx_at(dsn, {"read", "--category", "order"}).out,
                     {kExactPayload, kExactPayload, R"({"n": 100})"});
  }
  SECTION("a row written with SQL is printed by load, read, sub and handed to --exec as stored") {
    {
      pqxx::work tx(client.connection());
      tx.exec0(R"(UPDATE meowmx.events SET json = '{"big": 1234567890123456789012345678901}')");
      tx.commit();
    }
    const std::string stored = R"({"big": 1234567890123456789012345678901})";
    check_lines_hold(meowmx_at(dsn, {"load", "order", "exact"}).out, {stored});
    check_lines_hold(meowmx_at(dsn, {"read"}).out, {stored});
    check_lines_hold(meowmx_at(dsn, {"sub", "printer", "--until-caught-up"}).out, {stored});
    char path[] = "/tmp/meowmx-exec-XXXXXX";
    close(mkstemp(path));
    const CliResult exec =
        meowmx_at(dsn, {"sub", "exec", "--until-caught-up", "--exec", std::string("cat > ") + path});
    INFO(exec.err);
    CHECK(exec.exit_code == 0);
    std::ifstream in(path);
    std::stringstream written;
    written << in.rdbuf();
    std::remove(path);
    check_lines_hold(written.str(), {stored});
  }
}

TEST_CASE("random documents come back as PostgreSQL's jsonb makes of the same text") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  const unsigned seed = std::random_device()();
  INFO("seed " << seed);
  JsonGenerator generator(seed);

  // Through the C++ API: single saves and a batch.
  std::vector<std::string> documents;
  for (int i = 0; i < 60; ++i) documents.push_back(generator.document(true));
  std::vector<NewEvent> batch;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (i % 2 == 0) {
      client.save("doc", "single-" + std::to_string(i), {{.event_type = "Doc", .json_text = documents[i]}}, 0);
    } else {
      batch.push_back({.event_type = "Doc", .json_text = documents[i]});
    }
  }
  client.save("doc", "batch", batch, 0);
  std::size_t in_batch = 0;
  const auto batch_events = client.load("doc", "batch");
  REQUIRE(batch_events.size() == batch.size());
  for (std::size_t i = 0; i < documents.size(); ++i) {
    INFO(documents[i]);
    const std::string loaded = i % 2 == 0 ? client.load("doc", "single-" + std::to_string(i)).at(0).json_text
                                          : batch_events.at(in_batch++).json_text;
    CHECK(loaded == jsonb_text(client.connection(), documents[i]));
  }

  // Through the CLI: one --stdin batch (one line per document), printed back by load.
  std::string input;
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    const std::string document = generator.document(false);
    input += R"({"event_type":"Doc","json":)" + document + "}\n";
    expected.push_back(jsonb_text(client.connection(), document));
  }
  const CliResult saved = meowmx_at(dsn, {"save", "doc", "cli", "--version", "0", "--stdin"}, input);
  INFO(saved.err);
  REQUIRE(saved.exit_code == 0);
  check_lines_hold(meowmx_at(dsn, {"load", "doc", "cli"}).out, expected);
}

TEST_CASE("nesting is bounded at 512 levels; deeper input is bad input, not a crash") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  const std::string deepest = nested_object(512);
  client.save("doc", "deep", {{.event_type = "Deep", .json_text = deepest}}, 0);
  CHECK(client.load("doc", "deep").at(0).json_text == jsonb_text(client.connection(), deepest));
  CHECK_THROWS_AS(client.save("doc", "deeper", {{.event_type = "Deep", .json_text = nested_object(513)}}, 0),
                  InvalidArgument);
  // The same bound for a json value.
  nlohmann::json value = nlohmann::json::object();
  for (int i = 1; i < 513; ++i) value = {{"a", value}};
  CHECK_THROWS_AS(client.save("doc", "deeper", {{.event_type = "Deep", .json = value}}, 0), InvalidArgument);
  CHECK(client.save("doc", "deeper", {{.event_type = "Deep", .json = value["a"]}}, 0).size() == 1);

  // 60,000 levels once crashed the CLI (SIGSEGV) even without a database.
  const std::string very_deep = R"({"a":)" + std::string(60000, '[') + std::string(60000, ']') + "}";
  SECTION("--json") {
    check_one_error_line(meowmx_at("postgresql://nobody@127.0.0.1:1/none",
                                   {"save", "doc", "x", "--version", "0", "--event-type", "Deep", "--json",
                                    very_deep}),
                         "nested deeper than 512 levels");
  }
  SECTION("--stdin") {
    check_one_error_line(meowmx_at(dsn, {"save", "doc", "x", "--version", "0", "--stdin"},
                                   R"({"event_type":"Deep","json":)" + very_deep + "}\n"),
                         "stdin line 1 is nested deeper than 512 levels");
  }
  CHECK(client.load("doc", "x").empty());
}

TEST_CASE("numbers beyond a double's range are bad input with one clear line") {
  const std::string dsn = testing::text_database();
  for (const char* payload : {R"({"a":1e400})", R"({"a":[-1E999]})"}) {
    CAPTURE(payload);
    check_one_error_line(meowmx_at(dsn, {"save", "doc", "x", "--version", "0", "--event-type", "Big",
                                         "--json", payload}),
                         "is out of range");
  }
  check_one_error_line(
      meowmx_at(dsn, {"save", "doc", "x", "--version", "0", "--stdin"}, R"({"event_type":"Big","json":{"a":1e400}})"),
      "number '1e400' in stdin line 1 is out of range");
  Client client = testing::connect(dsn);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "Big", .json_text = R"({"a":1e400})"}}, 0),
                  InvalidArgument);
  CHECK(client.load("doc", "x").empty());
}

TEST_CASE("the size limit counts the json and metadata text that was sent, nothing else") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  const std::size_t limit = ClientOptions{}.max_event_bytes;
  // {"s":"xxx..."}: 8 bytes around the string.
  const auto payload_of = [](std::size_t bytes) { return R"({"s":")" + std::string(bytes - 8, 'x') + "\"}"; };
  REQUIRE(payload_of(limit).size() == limit);

  SECTION("exactly the limit, without metadata, is accepted") {
    CHECK(client.save("doc", "x", {{.event_type = "Big", .json_text = payload_of(limit)}}, 0).size() == 1);
    const CliResult cli = meowmx_at(dsn, {"save", "doc", "y", "--version", "0", "--stdin"},
                                    R"({"event_type":"Big","json":)" + payload_of(limit) + "}\n");
    INFO(cli.err);
    CHECK(cli.exit_code == 0);
  }
  SECTION("one byte more is refused") {
    CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "Big", .json_text = payload_of(limit + 1)}}, 0),
                    InvalidArgument);
  }
  SECTION("metadata counts as sent") {
    const std::string metadata = R"({"m":1})";
    CHECK_THROWS_AS(client.save("doc", "x",
                                {{.event_type = "Big", .json_text = payload_of(limit - metadata.size() + 1),
                                  .metadata_text = metadata}},
                                0),
                    InvalidArgument);
    CHECK(client.save("doc", "x",
                      {{.event_type = "Big", .json_text = payload_of(limit - metadata.size()),
                        .metadata_text = metadata}},
                      0)
              .size() == 1);
  }
}

TEST_CASE("the payload is given one way: json or json_text") {
  const std::string dsn = testing::text_database();
  Client client = testing::connect(dsn);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "T", .json = {{"a", 1}}, .json_text = "{}"}}, 0),
                  InvalidArgument);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "T", .metadata = {{"a", 1}}, .metadata_text = "{}"}}, 0),
                  InvalidArgument);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "T", .json_text = "[1]"}}, 0), InvalidArgument);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "T", .json_text = R"({"a":"\u0000"})"}}, 0),
                  InvalidArgument);
  CHECK_THROWS_AS(client.save("doc", "x", {{.event_type = "T", .json_text = "\xEF\xBB\xBF{}"}}, 0),
                  InvalidArgument);
  CHECK(client.load("doc", "x").empty());
}

// The capture engine's parts that need no server: the watermark, positions,
// names and text forms, PostgreSQL table names, the pgoutput decoder fed
// bytes built from the protocol's documentation, the pipeline's skipping,
// acknowledgement and position keeping with fake sinks, and the MySQL
// source's state file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "capture/mariadb/position_store.h"
#include "capture/pipeline.h"
#include "capture/session_runner.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/pgoutput.h"
#include "capture/postgres/values.h"
#include "capture/watermark.h"
#include "meowmx/change_capture.h"
#include "meowmx/error.h"
#include "support/fake_source.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/servers/temp_dir.h"

using namespace meowmx;

namespace {

// pgoutput messages, big-endian as on the wire.
class Message {
 public:
  explicit Message(char kind) { bytes_ += kind; }
  Message& u8(std::uint8_t value) { return number(value, 1); }
  Message& u16(std::uint16_t value) { return number(value, 2); }
  Message& u32(std::uint32_t value) { return number(value, 4); }
  Message& u64(std::uint64_t value) { return number(value, 8); }
  Message& cstring(const std::string& text) {
    bytes_ += text;
    bytes_ += '\0';
    return *this;
  }
  Message& text_cell(const std::string& text) {
    u8('t').u32(static_cast<std::uint32_t>(text.size()));
    bytes_ += text;
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  Message& number(std::uint64_t value, int size) {
    for (int i = size - 1; i >= 0; --i) bytes_ += static_cast<char>((value >> (8 * i)) & 0xFF);
    return *this;
  }
  std::string bytes_;
};

constexpr std::uint32_t kInt4 = 23;
constexpr std::uint32_t kNumeric = 1700;
constexpr std::uint32_t kJsonb = 3802;

Message relation(std::uint32_t oid) {
  Message message('R');
  message.u32(oid).cstring("public").cstring("orders").u8('d').u16(3);
  message.u8(1).cstring("id").u32(kInt4).u32(0xFFFFFFFF);
  message.u8(0).cstring("price").u32(kNumeric).u32(0xFFFFFFFF);
  message.u8(0).cstring("doc").u32(kJsonb).u32(0xFFFFFFFF);
  return message;
}

Message begin(std::uint64_t commit_lsn, std::uint32_t xid) {
  Message message('B');
  message.u64(commit_lsn).u64(0).u32(xid);
  return message;
}

Message commit(std::uint64_t commit_lsn, std::uint64_t end_lsn) {
  Message message('C');
  message.u8(0).u64(commit_lsn).u64(end_lsn).u64(0);
  return message;
}

Message insert(std::uint32_t oid, const std::string& id, const std::string& price, const std::string& doc) {
  Message message('I');
  message.u32(oid).u8('N').u16(3).text_cell(id).text_cell(price).text_cell(doc);
  return message;
}

StreamInfo orders_stream() {
  return {"test:orders", {CapturedTable{{"public", "orders"}, "orders", {"id"}}}};
}

// An asynchronous sink: it has transactions when the test says so.
class LaterSink : public Sink {
 public:
  std::string_view name() const override { return "later"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks& marks) override {
    marks_ = &marks;
    return std::nullopt;
  }
  Interest interest(const CapturedTable&) const override { return Interest::kKeys; }
  void begin(const Transaction&) override {}
  void change(const Transaction&, const ChangeEvent&) override {}
  bool commit(const Transaction& transaction) override {
    std::lock_guard lock(mutex_);
    committed_.push_back(transaction.sequence);
    return false;
  }
  void abort() override {}
  std::vector<std::uint64_t> committed() const {
    std::lock_guard lock(mutex_);
    return committed_;
  }
  void done(std::uint64_t sequence) { marks_->done(sequence); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> committed_;
  SinkMarks* marks_ = nullptr;
};

// A sink that already has everything up to a position.
class ResumingSink : public testing::RecordingSink {
 public:
  ResumingSink(testing::Recording& recording, TransactionPosition has)
      : RecordingSink(recording), has_(has) {}
  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks& marks) override {
    RecordingSink::open(stream, marks);
    return has_;
  }

 private:
  TransactionPosition has_;
};

ChangeEvent write_of(const CapturedTable& table, std::int64_t index, std::string key) {
  ChangeEvent change;
  change.table = &table;
  change.index = index;
  change.key = {Value{Value::Kind::kNumber, std::move(key)}};
  return change;
}

}  // namespace

TEST_CASE("the watermark is the last transaction every sink has, with all before it") {
  internal::Watermark watermark(2);
  CHECK_FALSE(watermark.low());
  watermark.add(1, LsnPosition{10, 11});
  watermark.add(2, LsnPosition{20, 21});
  watermark.add(3, LsnPosition{30, 31});
  CHECK_FALSE(watermark.mark(0, 2));
  CHECK_FALSE(watermark.mark(1, 2));
  CHECK_FALSE(watermark.low());  // 2 is done, 1 is not
  CHECK_FALSE(watermark.mark(0, 1));
  CHECK(watermark.mark(1, 1));
  CHECK(watermark.low() == TransactionPosition{LsnPosition{20, 21}});
  CHECK_FALSE(watermark.complete());
  CHECK_FALSE(watermark.mark(0, 9));  // unknown
  CHECK_FALSE(watermark.mark(0, 3));
  CHECK_FALSE(watermark.mark(0, 3));  // again
  CHECK(watermark.mark(1, 3));
  CHECK(watermark.complete());
}

TEST_CASE("positions serialise as the documented JSON and order within a stream") {
  const TransactionPosition lsn = LsnPosition{0x16B3748, 0x16B3780};
  CHECK(to_json_text(lsn) == R"({"lsn":"0/16B3780","commit_lsn":"0/16B3748"})");
  CHECK(parse_transaction_position(to_json_text(lsn)) == lsn);
  CHECK(change_position_json(lsn, 3) == R"({"lsn":"0/16B3748","index":3})");
  const TransactionPosition xid = XidPosition{734};
  CHECK(to_json_text(xid) == R"({"xid":734})");
  CHECK(parse_transaction_position(R"({"xid": 734})") == xid);
  CHECK(change_position_json(xid, 0) == R"({"xid":734,"index":0})");
  CHECK(compare(lsn, TransactionPosition{LsnPosition{0x16B3749, 0}}) == std::partial_ordering::less);
  CHECK(compare(lsn, TransactionPosition{LsnPosition{0x16B3748, 0}}) == std::partial_ordering::equivalent);
  CHECK(compare(xid, xid) == std::partial_ordering::unordered);
  CHECK(compare(lsn, xid) == std::partial_ordering::unordered);
  CHECK_THROWS_AS(parse_transaction_position("{\"lsn\": 1}"), InvalidArgument);
  CHECK_THROWS_AS(parse_transaction_position("not json"), InvalidArgument);
}

TEST_CASE("text lines print plain keys as meepo did, and nothing can forge a line") {
  const CapturedTable table{{"public", "orders"}, "orders", {"id"}};
  ChangeEvent change;
  change.table = &table;
  change.action = ChangeAction::kUpdate;
  change.key = {Value{Value::Kind::kNumber, "42"}};
  CHECK(text_line(change) == "orders_update 42");
  change.key = {Value{Value::Kind::kString, "ada lovelace"}};
  CHECK(text_line(change) == "orders_update ada lovelace");
  change.key = {Value{Value::Kind::kString, "evil\nMixedCase_delete forged"}};
  CHECK(text_line(change) == R"(orders_update "evil\nMixedCase_delete forged")");
  change.key = {Value{Value::Kind::kString, "\"quoted"}};
  CHECK(text_line(change) == R"(orders_update "\"quoted")");
  change.key = {Value{Value::Kind::kString, ""}};
  CHECK(text_line(change) == R"(orders_update "")");
  change.key = {Value{Value::Kind::kNumber, "1"}, Value{Value::Kind::kString, "a-1"}};
  CHECK(text_line(change) == R"(orders_update [1,"a-1"])");
  change.key = {Value{Value::Kind::kString, "12345678901234567890.50"}};
  CHECK(key_json(change) == R"("12345678901234567890.50")");
  change.action = ChangeAction::kTruncate;
  change.key.clear();
  CHECK(text_line(change) == "orders_truncate");
  CHECK(key_json(change) == "null");
  const CapturedTable odd{{"Odd Schema", "odd table"}, "Odd Schema.odd table", {"id"}};
  change.table = &odd;
  change.action = ChangeAction::kWrite;
  change.key = {Value{Value::Kind::kNumber, "1"}};
  CHECK(text_line(change) == R"("Odd Schema.odd table_write" 1)");
  // A change known by its event name and a text pk (prepare-commit) gets the same line.
  CHECK(text_line("orders_update", "ada lovelace") == "orders_update ada lovelace");
  CHECK(text_line("orders_update", "evil\nMixedCase_delete forged") ==
        R"(orders_update "evil\nMixedCase_delete forged")");
  CHECK(text_line("orders_update", "[1]") == R"(orders_update "[1]")");
  CHECK(text_line("odd table_write", "1") == R"("odd table_write" 1)");
}

TEST_CASE("PostgreSQL values keep their text; the type only chooses the JSON form") {
  std::string out;
  internal::make_value(kJsonb, R"({"big": 123456789012345678901234567890})").append_json(out);
  CHECK(out == R"({"big": 123456789012345678901234567890})");
  CHECK(internal::make_value(kNumeric, "1.50") == Value{Value::Kind::kString, "1.50"});
  CHECK(internal::make_value(20, "-9223372036854775808") == Value{Value::Kind::kNumber, "-9223372036854775808"});
  CHECK(internal::make_value(701, "NaN") == Value{Value::Kind::kString, "NaN"});
  CHECK(internal::make_value(701, "-1.5e-300") == Value{Value::Kind::kNumber, "-1.5e-300"});
  CHECK(internal::make_value(16, "t") == Value{Value::Kind::kBoolean, "true"});
  out.clear();
  Value{Value::Kind::kString, std::string("bad \xff utf-8 \x01")}.append_json(out);
  CHECK(out == "\"bad \xEF\xBF\xBD utf-8 \\u0001\"");
}

TEST_CASE("table names: anything PostgreSQL accepts in double quotes, plain names as written") {
  using internal::parse_table_name;
  CHECK(parse_table_name("orders") == TableName{"public", "orders"});
  CHECK(parse_table_name("sales.Orders") == TableName{"sales", "Orders"});
  CHECK(parse_table_name(R"("order-items")") == TableName{"public", "order-items"});
  CHECK(parse_table_name(R"("café")") == TableName{"public", "café"});
  CHECK(parse_table_name(R"("1st")") == TableName{"public", "1st"});
  CHECK(parse_table_name(R"("Odd Schema"."odd table")") == TableName{"Odd Schema", "odd table"});
  CHECK(parse_table_name(R"("say ""hi""")") == TableName{"public", "say \"hi\""});
  CHECK(internal::quote_table({"Odd Schema", "say \"hi\""}) == R"("Odd Schema"."say ""hi""")");
  CHECK(internal::table_stem({"public", "orders"}) == "orders");
  CHECK(internal::table_stem({"sales", "orders"}) == "sales.orders");
  for (const char* bad : {"", "1st", "a;drop table x", R"("open)", R"("")", "a.b.c", R"("a"x)", "café"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_table_name(bad), InvalidArgument);
  }
}

TEST_CASE("the pgoutput decoder turns protocol bytes into a transaction of exact changes") {
  testing::Recording recording;
  testing::RecordingSink sink(recording, Interest::kRows);
  internal::Pipeline pipeline({&sink}, 1 << 20);
  pipeline.open(orders_stream());
  internal::PgOutputDecoder decoder(pipeline, [](std::uint32_t) { return std::vector<std::string>{"id"}; });
  CHECK_FALSE(decoder.handle(relation(16384).bytes()));
  CHECK_FALSE(decoder.handle(begin(0x100, 740).bytes()));
  CHECK(decoder.in_transaction());
  CHECK_FALSE(decoder.handle(insert(16384, "1", "300.00", R"({"big": 123456789012345678901234567890})").bytes()));
  CHECK(decoder.handle(commit(0x100, 0x128).bytes()) == internal::Lsn{0x128});
  CHECK_FALSE(decoder.in_transaction());
  pipeline.drain();
  CHECK(recording.lines() == std::vector<std::string>{"begin", "orders_write 1", "commit"});
  CHECK(recording.commit_positions() == std::vector<std::string>{R"({"lsn":"0/128","commit_lsn":"0/100"})"});
  CHECK(pipeline.acknowledged() == TransactionPosition{LsnPosition{0x100, 0x128}});
  CHECK_THROWS_AS(decoder.handle(insert(99, "1", "1", "{}").bytes()), Error);  // before its Relation
  CHECK_THROWS_AS(decoder.handle(std::string("I\x00", 2)), Error);            // cut short
}

TEST_CASE("the pipeline skips what a sink already has and acknowledges what every sink has") {
  const StreamInfo stream = orders_stream();
  testing::Recording has_recording;
  ResumingSink resuming(has_recording, LsnPosition{0x200, 0x228});
  LaterSink later;
  internal::Pipeline pipeline({&resuming, &later}, 1 << 20);
  pipeline.open(stream);
  const CapturedTable* table = pipeline.table("public", "orders");
  REQUIRE(table);
  CHECK_FALSE(pipeline.table("public", "other"));
  for (std::uint64_t lsn : {0x100, 0x200, 0x300}) {
    pipeline.begin(LsnPosition{lsn, 0}, 1, "");
    pipeline.change(write_of(*table, 0, std::to_string(lsn)));
    pipeline.commit(LsnPosition{lsn, lsn + 0x28});
  }
  REQUIRE(testing::eventually([&] { return later.committed().size() == 3; }));
  // The resuming sink saw only what came after its resume point.
  CHECK(has_recording.change_lines() == std::vector<std::string>{"orders_write 768"});
  CHECK_FALSE(pipeline.acknowledged());  // the asynchronous sink has nothing yet
  later.done(2);
  CHECK_FALSE(pipeline.acknowledged());
  later.done(1);
  CHECK(pipeline.acknowledged() == TransactionPosition{LsnPosition{0x200, 0x228}});
  CHECK_FALSE(pipeline.idle());
  later.done(3);
  CHECK(pipeline.acknowledged() == TransactionPosition{LsnPosition{0x300, 0x328}});
  CHECK(pipeline.idle());
  pipeline.drain();
}

TEST_CASE("with a store for the stream's position, each transaction is kept before a sink sees the next") {
  // What the sink began and what was kept, in the order it happened.
  std::mutex mutex;
  std::vector<std::string> events;
  auto note = [&](std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  };
  class Noting : public testing::RecordingSink {
   public:
    Noting(testing::Recording& recording, std::function<void(std::string)> note)
        : RecordingSink(recording), note_(std::move(note)) {}
    void begin(const Transaction& transaction) override { note_("begin " + std::to_string(transaction.xid)); }

   private:
    std::function<void(std::string)> note_;
  };
  auto feed = [](internal::Pipeline& pipeline, std::initializer_list<std::uint64_t> lsns) {
    for (std::uint64_t lsn : lsns) {
      pipeline.begin(LsnPosition{lsn, 0}, lsn >> 8, "");
      pipeline.change(write_of(*pipeline.table("public", "orders"), 0, "1"));
      pipeline.commit(LsnPosition{lsn, lsn + 0x28});
    }
  };
  testing::Recording recording;
  Noting noting(recording, note);
  LaterSink later;
  {
    internal::Pipeline pipeline({&noting, &later}, 1 << 20);
    pipeline.open(orders_stream());
    pipeline.keep_positions([&](const TransactionPosition& position) { note("kept " + to_json_text(position)); });
    feed(pipeline, {0x100, 0x200, 0x300});
    REQUIRE(testing::eventually([&] { return later.committed().size() == 1; }));
    later.done(1);  // the dispatcher waited for it before transaction 2
    REQUIRE(testing::eventually([&] { return later.committed().size() == 2; }));
    later.done(2);
    REQUIRE(testing::eventually([&] { return later.committed().size() == 3; }));
    later.done(3);
    pipeline.drain();
  }
  CHECK(events == std::vector<std::string>{"begin 1", R"(kept {"lsn":"0/128","commit_lsn":"0/100"})", "begin 2",
                                           R"(kept {"lsn":"0/228","commit_lsn":"0/200"})", "begin 3"});
  // Stopped while an asynchronous sink still owes a mark: the next
  // transaction reaches no sink, and comes again in the next session.
  events.clear();
  {
    internal::Pipeline pipeline({&noting, &later}, 1 << 20);
    pipeline.open(orders_stream());
    pipeline.keep_positions([&](const TransactionPosition& position) { note("kept " + to_json_text(position)); });
    feed(pipeline, {0x400, 0x500});
    REQUIRE(testing::eventually([&] { return later.committed().size() == 4; }));
  }
  CHECK(events == std::vector<std::string>{"begin 4"});
  // A store that cannot be written stops the stream before the next transaction.
  events.clear();
  internal::Pipeline pipeline({&noting}, 1 << 20);
  pipeline.open(orders_stream());
  pipeline.keep_positions([](const TransactionPosition&) { throw Error("the state file's disk is full"); });
  feed(pipeline, {0x600});
  CHECK_THROWS_WITH(pipeline.drain(), "the state file's disk is full");
  CHECK_THROWS_WITH(feed(pipeline, {0x700}), "the state file's disk is full");
  CHECK(events == std::vector<std::string>{"begin 6"});
}

TEST_CASE("the state file: overwritten in place, a shorter position after a longer one, kept across stores") {
  testing::TempDir dir("meowmx-state-file");
  MysqlSource options;
  options.state_file = (dir.path() / "stream.pos").string();
  const BinlogPosition long_one{"mariadb-bin.000001", 123456789, "0-1-1000000"};
  const BinlogPosition short_one{"mariadb-bin.000002", 4, ""};
  {
    auto store = internal::open_position_store(options);
    CHECK_FALSE(store->load());
    store->save(long_one);  // created by rename
    store->save(short_one);  // in place, padded over the longer text
    CHECK(store->load() == short_one);
  }
  auto again = internal::open_position_store(options);
  CHECK(again->load() == short_one);
  again->save(long_one);
  CHECK(internal::open_position_store(options)->load() == long_one);
  std::ofstream(options.state_file, std::ios::trunc).flush();  // as a power loss may leave it
  CHECK_THROWS_WITH(again->load(), Catch::Contains("state file " + options.state_file + " holds no position"));
}

TEST_CASE("a sink's failure reaches the source, and a transaction left half-way is aborted") {
  class Failing : public testing::RecordingSink {
   public:
    using RecordingSink::RecordingSink;
    bool commit(const Transaction&) override { throw Error("the sink's disk is full"); }
  };
  testing::Recording recording;
  Failing failing(recording);
  {
    internal::Pipeline pipeline({&failing}, 1);
    pipeline.open(orders_stream());
    const CapturedTable* table = pipeline.table("public", "orders");
    pipeline.begin(LsnPosition{0x100, 0}, 1, "");
    pipeline.change(write_of(*table, 0, "1"));
    pipeline.commit(LsnPosition{0x100, 0x128});
    CHECK_THROWS_WITH(pipeline.drain(), "the sink's disk is full");
    CHECK_THROWS_WITH(pipeline.begin(LsnPosition{0x200, 0}, 2, ""), "the sink's disk is full");
  }
  testing::Recording second;
  testing::RecordingSink sink(second);
  {
    internal::Pipeline pipeline({&sink}, 1 << 20);
    pipeline.open(orders_stream());
    pipeline.begin(LsnPosition{0x100, 0}, 1, "");
    // More than the source hands over at once: part of it reaches the sink.
    for (int i = 0; i < 1000; ++i) pipeline.change(write_of(*pipeline.table("public", "orders"), i, "1"));
    // The source goes away here: the pipeline ends without a commit.
  }
  const auto lines = second.lines();
  REQUIRE(lines.size() > 2);
  CHECK(lines.front() == "begin");
  CHECK(lines[1] == "orders_write 1");
  CHECK(lines.back() == "abort");
  CHECK(std::count(lines.begin(), lines.end(), "commit") == 0);
}

TEST_CASE("a session lost mid-transaction is retried: sinks abort it and get it whole from the next session") {
  testing::FakeSource source(orders_stream(), {{.position = LsnPosition{0x100, 0x128}, .keys = {"1", "2"}},
                                               {.position = LsnPosition{0x200, 0x228},
                                                .keys = {"3", "4"},
                                                .lose_connection_after = 1},
                                               {.position = LsnPosition{0x300, 0x328}, .keys = {"5"}}});
  testing::Recording everything;
  testing::RecordingSink at_least_once(everything);
  testing::Recording resumed;
  ResumingSink exactly_once(resumed, LsnPosition{0x100, 0x128});
  internal::Waker stop;
  internal::run_sessions(source, {&at_least_once, &exactly_once},
                         {.first_retry_wait = std::chrono::milliseconds(1)}, stop);
  CHECK(source.sessions() == 2);
  CHECK(everything.lines() == std::vector<std::string>{"begin", "orders_write 1", "orders_write 2", "commit",
                                                       "begin", "orders_write 3", "abort",
                                                       "begin", "orders_write 3", "orders_write 4", "commit",
                                                       "begin", "orders_write 5", "commit"});
  // The sink that keeps its own resume point never saw the first transaction.
  CHECK(resumed.change_lines() ==
        std::vector<std::string>{"orders_write 3", "orders_write 3", "orders_write 4", "orders_write 5"});
}

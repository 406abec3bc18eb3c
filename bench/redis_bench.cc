// redis_bench: primary keys stored in Redis through the redis sink (the
// sink's begin/change/commit, as a Pub drives it: ZADD GT CH per change,
// EXPIRE per key and the resume point in one MULTI/EXEC per transaction)
// next to a raw pipelined ZADD loop over hiredis doing the same adds on the
// same throwaway redis-server, in the same run:
//
//   BENCH redis_store_add ours=<pks/s> raw=<pks/s> ratio=<ours/raw>
#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "meowmx/meowmx.h"
#include "meowmx/redis_store.h"
#include "support/servers/redis_server.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTransactions = 200;
constexpr int kPerTransaction = 1000;  // pks per source transaction, and per raw pipeline
constexpr int kRounds = 3;             // the best of each side counts: the machine is shared

class NoMarks : public meowmx::SinkMarks {
 public:
  void done(std::uint64_t) override {}
  void fail(std::exception_ptr) override {}
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// pks/s through the sink, keys "bench:ours:<round>:ledger_write".
double through_sink(const std::string& url, int round) {
  const meowmx::CapturedTable table{{"public", "ledger"}, "ledger", {"id"}};
  auto sink = meowmx::make_redis_sink(
      {.store = {.connection = {.url = url}, .namespace_pattern = "bench:ours:" + std::to_string(round)}});
  NoMarks marks;
  sink->open({"bench:" + std::to_string(round), {table}}, marks);
  meowmx::ChangeEvent change;
  change.table = &table;
  change.key = {meowmx::Value{meowmx::Value::Kind::kNumber, ""}};
  const auto start = Clock::now();
  for (int t = 0; t < kTransactions; ++t) {
    meowmx::Transaction transaction{static_cast<std::uint64_t>(t + 1),
                                    meowmx::LsnPosition{static_cast<std::uint64_t>(t + 1), 0},
                                    static_cast<std::uint64_t>(t + 1), "2026-12-01T12:00:00.000000Z"};
    sink->begin(transaction);
    for (int i = 0; i < kPerTransaction; ++i) {
      change.index = i;
      change.key[0].text = std::to_string(t * kPerTransaction + i);
      sink->change(transaction, change);
    }
    transaction.position = meowmx::LsnPosition{static_cast<std::uint64_t>(t + 1), static_cast<std::uint64_t>(t + 2)};
    sink->commit(transaction);
  }
  return kTransactions * kPerTransaction / seconds_since(start);
}

// pks/s of a plain pipelined ZADD GT CH loop, keys "bench:raw:<round>".
double raw_zadd(int port, int round) {
  redisContext* context = redisConnect("127.0.0.1", port);
  if (!context || context->err) throw std::runtime_error("cannot connect to redis");
  const std::string key = "bench:raw:" + std::to_string(round);
  const std::string score = "1764590400.000";
  const auto start = Clock::now();
  for (int t = 0; t < kTransactions; ++t) {
    for (int i = 0; i < kPerTransaction; ++i) {
      const std::string pk = std::to_string(t * kPerTransaction + i);
      const char* argv[] = {"ZADD", key.c_str(), "GT", "CH", score.c_str(), pk.c_str()};
      const size_t lengths[] = {4, key.size(), 2, 2, score.size(), pk.size()};
      redisAppendCommandArgv(context, 6, argv, lengths);
    }
    for (int i = 0; i < kPerTransaction; ++i) {
      void* reply = nullptr;
      if (redisGetReply(context, &reply) != REDIS_OK) throw std::runtime_error("redis reply lost");
      freeReplyObject(reply);
    }
  }
  const double rate = kTransactions * kPerTransaction / seconds_since(start);
  redisFree(context);
  return rate;
}

}  // namespace

int main() {
  meowmx::testing::RedisServer server;
  double ours = 0;
  double raw = 0;
  for (int round = 0; round < kRounds; ++round) {
    raw = std::max(raw, raw_zadd(server.port(), round));
    ours = std::max(ours, through_sink(server.url(), round));
  }
  std::printf("BENCH redis_store_add ours=%.0f raw=%.0f ratio=%.2f\n", ours, raw, ours / raw);
  return 0;
}

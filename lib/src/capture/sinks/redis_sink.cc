// The redis sink (see meowmx/redis/redis_sink.h): each source transaction's
// adds and its resume point in one MULTI/EXEC, so the store is exactly once.
#include "meowmx/redis/redis_sink.h"

#include <cstdio>

#include "common/logger.h"
#include "meowmx/error.h"
#include "redis/connection.h"
#include "redis/key_space.h"
#include "redis/store_commands.h"

namespace meowmx {
namespace {

// Changes per MULTI/EXEC: a huge transaction goes in pieces, never held whole.
constexpr std::size_t kChunkChanges = 10000;

// "2026-12-01T23:33:36.123456Z" (the sources' commit_time) to the millisecond.
std::optional<RedisTime> parse_commit_time(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u.%6uZ", &year, &month, &day, &hour, &minute, &second,
                  &micros) != 7) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!date.ok()) return std::nullopt;
  return RedisTime{std::chrono::sys_days{date}} + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) + std::chrono::milliseconds(micros / 1000);
}

class RedisSink : public Sink {
 public:
  explicit RedisSink(const RedisSinkOptions& options)
      : options_(options),
        keys_(options.store.namespace_pattern),
        redis_(options.store.connection.url, options.store.connection.timeout) {
    if (options_.store.ttl < std::chrono::seconds(1)) throw InvalidArgument("redis sink: the TTL must be at least 1 s");
    if (options_.positions_key.empty()) throw InvalidArgument("redis sink: the positions key must not be empty");
    if (!options_.store.clock) throw InvalidArgument("redis sink: it needs a clock");
  }

  std::string_view name() const override { return "redis"; }

  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks&) override {
    stream_id_ = stream.id;
    const auto read = [&] {
      return redis_.command("redis sink: reading its resume point", {"HGET", options_.positions_key, stream_id_});
    };
    if (redis_.broken()) redis_.reconnect();
    std::optional<internal::RedisReply> stored;
    try {
      stored.emplace(read());
    } catch (const ConnectionError&) {
      // The last session may have ended with this connection: one more try on a new one.
      redis_.reconnect();
      stored.emplace(read());
    }
    if (stored->is_nil()) return std::nullopt;
    return parse_transaction_position(stored->text());
  }

  Interest interest(const CapturedTable&) const override { return Interest::kKeys; }

  void begin(const Transaction&) override {
    pending_.clear();
    wrote_part_ = false;
  }

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    if (change.action == ChangeAction::kTruncate) {
      internal::logger().debug("redis sink: {} carries no key; skipped", change.name());
      return;
    }
    pending_.push_back({change.name(), pk_text(change)});
    if (pending_.size() >= kChunkChanges) {
      write(transaction, false);
      wrote_part_ = true;
    }
  }

  bool commit(const Transaction& transaction) override {
    if (pending_.empty() && !wrote_part_) return true;  // nothing captured: nothing to record
    write(transaction, true);
    return true;
  }

  void abort() override { pending_.clear(); }

 private:
  RedisTime time_of(const Transaction& transaction) const {
    if (const auto time = parse_commit_time(transaction.commit_time)) return *time;
    return options_.store.clock();
  }

  // One MULTI/EXEC with the pending adds, the TTL of every key they touch,
  // and with `final` the transaction's resume point.
  void write(const Transaction& transaction, bool final) {
    redis_.append({"MULTI"});
    std::size_t queued = internal::queue_adds(redis_, keys_, pending_, time_of(transaction), options_.store.ttl);
    std::string position;
    if (final) {
      position = to_json_text(transaction.position);
      redis_.append({"HSET", options_.positions_key, stream_id_, position});
      ++queued;
    }
    redis_.append({"EXEC"});
    internal::read_transaction(redis_, "redis sink: writing transaction " + std::to_string(transaction.xid), queued);
    internal::logger().debug("redis sink: stored {} change(s) of transaction {}{}", pending_.size(), transaction.xid,
                             final ? " at " + position : "");
    pending_.clear();
  }

  RedisSinkOptions options_;
  internal::KeySpace keys_;
  internal::RedisConnection redis_;
  std::string stream_id_;
  std::vector<internal::StoreAdd> pending_;
  bool wrote_part_ = false;  // a piece of the open transaction is already stored
};

}  // namespace

std::unique_ptr<Sink> make_redis_sink(const RedisSinkOptions& options) { return std::make_unique<RedisSink>(options); }

}  // namespace meowmx

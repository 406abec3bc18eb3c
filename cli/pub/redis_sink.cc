#include "meowmx/redis_store.h"
#include "pub/flag_groups.h"
#include "redis_options.h"

namespace meowmx::cli {
namespace {

class RedisSinkFlags : public SinkFlags {
 public:
  std::string_view name() const override { return "redis"; }
  std::string_view summary() const override {
    return "the Redis event store (ZADD per change), exactly once with its resume point";
  }
  void add_flags(CLI::Option_group& group) override {
    add_redis_flags(group, redis_, "redis-");
    group.add_option("--redis-positions-key", positions_key_, "Hash of the stream resume points")
        ->capture_default_str();
  }
  std::unique_ptr<Sink> make(const PubTarget&) const override {
    return make_redis_sink({.store = redis_.store(), .positions_key = positions_key_});
  }

 private:
  RedisFlags redis_;
  std::string positions_key_ = RedisSinkOptions{}.positions_key;
};

}  // namespace

std::unique_ptr<SinkFlags> redis_sink_flags() { return std::make_unique<RedisSinkFlags>(); }

}  // namespace meowmx::cli

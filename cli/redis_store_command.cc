// meowmx redis-store add|replay|query|clear: the Redis event store from the
// command line, one JSON line per answer.
#include <memory>

#include "command.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/redis_store.h"
#include "redis_options.h"

namespace meowmx::cli {
namespace {

struct StoreArgs {
  RedisFlags redis;
  std::string event;
  std::string pk;
  std::string ts;    // --ts, --since, --from: seconds since 1970
  std::string to;    // --to
  bool with_ts = false;
};

// Seconds with a millisecond fraction, as a JSON number.
nlohmann::json seconds(RedisTime time) { return static_cast<double>(time.time_since_epoch().count()) / 1000.0; }

// `text` as a time, or `otherwise` when it is empty.
RedisTime time_or(const std::string& text, RedisTime otherwise) {
  return text.empty() ? otherwise : parse_redis_time(text);
}

// Where ranges start by default: the oldest write a key can still hold.
RedisTime oldest_kept(const RedisEventStore& store) { return redis_now() - store.options().ttl; }

int run_add(const StoreArgs& args) {
  RedisEventStore store(args.redis.store());
  const RedisTime time = time_or(args.ts, redis_now());
  const bool changed = store.add(args.event, args.pk, time);
  print_json_line({{"event", args.event}, {"pk", args.pk}, {"key", store.key(args.event, time)},
                   {"ts", seconds(time)}, {"changed", changed}});
  return 0;
}

int run_replay(const StoreArgs& args) {
  RedisEventStore store(args.redis.store());
  const RedisTime from = time_or(args.ts, oldest_kept(store));
  for (const StoredKey& key : store.replay(args.event, from, time_or(args.to, redis_now()))) {
    nlohmann::json line{{"pk", key.pk}};
    if (args.with_ts) line["ts"] = seconds(key.time);
    print_json_line(line);
  }
  return 0;
}

int run_query(const StoreArgs& args) {
  RedisEventStore store(args.redis.store());
  const auto last = store.query(args.event, args.pk, time_or(args.ts, oldest_kept(store)));
  print_json_line({{"event", args.event}, {"pk", args.pk}, {"ts", last ? seconds(*last) : nlohmann::json()}});
  return 0;
}

int run_clear(const StoreArgs& args) {
  RedisEventStore store(args.redis.store());
  const RedisTime time = time_or(args.ts, redis_now());
  const std::string key = store.key(args.event, time);
  print_json_line({{"event", args.event}, {"key", key}, {"cleared", store.clear(args.event, time)}});
  return 0;
}

// One subcommand of redis-store, with the flags they all share.
CLI::App* add_store_subcommand(CLI::App* parent, const std::string& name, const std::string& summary,
                               const std::shared_ptr<StoreArgs>& args, CommandAction& action,
                               int (*run)(const StoreArgs&)) {
  auto* cmd = parent->add_subcommand(name, summary);
  add_redis_flags(*cmd, args->redis);
  cmd->add_option("event", args->event, "Event name: <table>_<action>, e.g. orders_update")->required();
  cmd->callback([&action, args, run] { action = [args, run] { return run(*args); }; });
  return cmd;
}

}  // namespace

void add_redis_store_command(CLI::App& app, CommandAction& action) {
  auto* store = app.add_subcommand("redis-store", "The Redis event store: add, replay, query, clear");
  store->require_subcommand(1);
  auto args = std::make_shared<StoreArgs>();
  const std::string seconds_help = "seconds since 1970, UTC, with up to 3 decimals";

  auto* add = add_store_subcommand(store, "add", "Record that a pk changed (the score only moves forward)", args,
                                   action, run_add);
  add->add_option("pk", args->pk, "The primary key's text (a composite key as its JSON)")->required();
  add->add_option("--ts", args->ts, "When it changed, " + seconds_help + " (default: now)");
  set_examples(add, {"meowmx redis-store add orders_update 42",
                     "meowmx redis-store add orders_update '[1,\"EU\"]' --ts 1764547200.123"});

  auto* replay = add_store_subcommand(store, "replay", "The pks changed in a time range, oldest first", args,
                                      action, run_replay);
  replay->add_option("--from", args->ts, "Range start (inclusive), " + seconds_help + " (default: now - TTL)");
  replay->add_option("--to", args->to, "Range end (inclusive), " + seconds_help + " (default: now)");
  replay->add_flag("--with-ts", args->with_ts, "Add each pk's last change time");
  set_examples(replay, {"meowmx redis-store replay orders_update --from 1764547200 --with-ts",
                        "MEOWMX_REDIS_URL=redis://cache:6379/2 meowmx redis-store replay orders_write"});

  auto* query = add_store_subcommand(store, "query", "When a pk last changed (null: not in the store)", args,
                                     action, run_query);
  query->add_option("pk", args->pk, "The primary key's text")->required();
  query->add_option("--since", args->ts, "Look back to here, " + seconds_help + " (default: now - TTL)");
  set_examples(query, {"meowmx redis-store query orders_update 42"});

  auto* clear = add_store_subcommand(store, "clear", "Delete an event's key in one namespace", args, action,
                                     run_clear);
  clear->add_option("--ts", args->ts, "A time in the namespace, " + seconds_help + " (default: now)");
  set_examples(clear, {"meowmx redis-store clear orders_update --ts 1764547200"});
  set_examples(store, {"meowmx redis-store add orders_update 42", "meowmx redis-store replay orders_update --help"});
}

}  // namespace meowmx::cli

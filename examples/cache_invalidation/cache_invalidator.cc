// cache_invalidator: the subscriber side of meowmx change capture.
//
//   meowmx pub --tables orders,customers --sink zmq --zmq-bind tcp://127.0.0.1:5555
//   cache_invalidator --endpoint tcp://127.0.0.1:5555 orders customers
//
// Every message is meepo's "<table>_<action> <pk>" (a second frame, sent
// with --raw, is ignored here). A write, update or delete of a row makes its
// cache entry "<table>:<pk>" stale, so the key is deleted from Redis and
// the next read fills it afresh; a truncate deletes all of the table's keys.
// Without Redis (or when built without hiredis) it prints what it would do.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <zmq.hpp>

#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
#include <hiredis/hiredis.h>
#endif

namespace {

volatile sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

struct Args {
  std::string endpoint = "tcp://127.0.0.1:5555";
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  bool no_redis = false;
  std::vector<std::string> tables;
};

void usage() {
  std::fprintf(stderr,
               "usage: cache_invalidator [--endpoint tcp://HOST:PORT] [--redis HOST:PORT | --no-redis] TABLE...\n"
               "Deletes Redis keys TABLE:PK when `meowmx pub --sink zmq` reports a change of that row.\n");
}

bool parse(int argc, char** argv, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--endpoint" && i + 1 < argc) {
      args.endpoint = argv[++i];
    } else if (arg == "--redis" && i + 1 < argc) {
      const std::string address = argv[++i];
      const auto colon = address.rfind(':');
      if (colon == std::string::npos) return false;
      args.redis_host = address.substr(0, colon);
      args.redis_port = std::atoi(address.c_str() + colon + 1);
    } else if (arg == "--no-redis") {
      args.no_redis = true;
    } else if (!arg.empty() && arg[0] != '-') {
      args.tables.push_back(arg);
    } else {
      return false;
    }
  }
  return !args.tables.empty();
}

// Deletes keys in Redis when it is reachable, else says what it would delete.
class Cache {
 public:
  explicit Cache(const Args& args) {
#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
    if (args.no_redis) return;
    timeval timeout{1, 0};
    redis_ = redisConnectWithTimeout(args.redis_host.c_str(), args.redis_port, timeout);
    if (!redis_ || redis_->err) {
      std::fprintf(stderr, "no Redis at %s:%d (%s): printing instead\n", args.redis_host.c_str(), args.redis_port,
                   redis_ ? redis_->errstr : "out of memory");
      if (redis_) redisFree(redis_);
      redis_ = nullptr;
    }
#else
    (void)args;
    std::fprintf(stderr, "built without hiredis: printing instead of deleting\n");
#endif
  }
  ~Cache() {
#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
    if (redis_) redisFree(redis_);
#endif
  }
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  void remove(const std::string& key) {
#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
    if (redis_) {
      auto* reply = static_cast<redisReply*>(redisCommand(redis_, "DEL %b", key.data(), key.size()));
      const long long removed = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
      if (reply) freeReplyObject(reply);
      std::printf("DEL %s -> %lld\n", key.c_str(), removed);
      std::fflush(stdout);
      return;
    }
#endif
    std::printf("would DEL %s\n", key.c_str());
    std::fflush(stdout);
  }

  // Every key of the table: SCAN, not KEYS, so a big Redis is not blocked.
  void remove_table(const std::string& table) {
#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
    if (redis_) {
      const std::string pattern = table + ":*";
      std::string cursor = "0";
      do {
        auto* reply = static_cast<redisReply*>(
            redisCommand(redis_, "SCAN %s MATCH %b COUNT 1000", cursor.c_str(), pattern.data(), pattern.size()));
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
          if (reply) freeReplyObject(reply);
          break;
        }
        cursor = reply->element[0]->str;
        for (size_t i = 0; i < reply->element[1]->elements; ++i) {
          const redisReply* key = reply->element[1]->element[i];
          remove(std::string(key->str, key->len));
        }
        freeReplyObject(reply);
      } while (cursor != "0");
      return;
    }
#endif
    std::printf("would DEL %s:*\n", table.c_str());
    std::fflush(stdout);
  }

 private:
#ifdef CACHE_INVALIDATOR_HAVE_HIREDIS
  redisContext* redis_ = nullptr;
#endif
};

// recv that treats a signal (EINTR) like a timeout, so Ctrl-C ends the loop.
bool receive(zmq::socket_t& socket, zmq::message_t& message) {
  try {
    return socket.recv(message).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    usage();
    return 2;
  }
  signal(SIGINT, request_stop);
  signal(SIGTERM, request_stop);
  Cache cache(args);

  zmq::context_t context;
  zmq::socket_t subscriber(context, zmq::socket_type::sub);
  subscriber.set(zmq::sockopt::rcvtimeo, 200);  // to notice Ctrl-C
  subscriber.connect(args.endpoint);
  for (const auto& table : args.tables) subscriber.set(zmq::sockopt::subscribe, table + "_");
  std::fprintf(stderr, "listening on %s for %zu table(s)\n", args.endpoint.c_str(), args.tables.size());

  while (!stop_requested) {
    zmq::message_t message;
    if (!receive(subscriber, message)) continue;
    const std::string text = message.to_string();
    // A second frame (pub --raw) carries the row; invalidation needs only the key.
    for (bool more = message.more(); more;) {
      zmq::message_t frame;
      if (!receive(subscriber, frame)) break;
      more = frame.more();
    }
    // "<table>_<action> <pk>"; the action is the last '_' part of the name.
    const auto space = text.find(' ');
    const std::string name = text.substr(0, space);
    const auto underscore = name.rfind('_');
    if (underscore == std::string::npos) continue;
    const std::string table = name.substr(0, underscore);
    const std::string action = name.substr(underscore + 1);
    // Subscriptions match prefixes: "orders_" also matches "orders_items_...".
    if (std::find(args.tables.begin(), args.tables.end(), table) == args.tables.end()) continue;
    if (action == "truncate") {
      cache.remove_table(table);
    } else if (space != std::string::npos) {
      cache.remove(table + ":" + text.substr(space + 1));
    }
  }
  return 0;
}

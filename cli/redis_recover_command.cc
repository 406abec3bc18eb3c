// meowmx redis-recover: settles the prepare-commit sessions writers left
// prepared, one JSON line per session.
#include <cmath>
#include <memory>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/redis_store.h"
#include "pub/flag_groups.h"
#include "redis_options.h"
#include "whole_number_option.h"

namespace meowmx::cli {
namespace {

struct RecoverArgs {
  RedisFlags redis;
  std::string records_namespace = PrepareCommitOptions{}.namespace_pattern;
  int days = RecoveryOptions{}.days;
  bool dry_run = false;
  ZmqSinkOptions zmq;
  double zmq_wait_seconds = std::chrono::duration<double>(RecoveryOptions{}.zmq_subscriber_wait).count();
};

int run_recover(const GlobalOptions& global, const RecoverArgs& args) {
  RecoveryOptions options;
  options.records.store = args.redis.store();
  options.records.namespace_pattern = args.records_namespace;
  options.dsn = resolve_dsn(global);
  options.days = args.days;
  options.dry_run = args.dry_run;
  if (!args.zmq.bind.empty() || !args.zmq.connect.empty()) {
    options.zmq = args.zmq;
    options.zmq_subscriber_wait = std::chrono::milliseconds(std::llround(args.zmq_wait_seconds * 1000));
    // A one-shot command: give the replayed messages as long to leave as a subscriber had to come.
    options.zmq->linger = options.zmq_subscriber_wait;
  }
  for (const RecoveredSession& session : recover(options)) {
    print_json_line({{"session", session.id},
                     {"xid", session.xid},
                     {"status", session.status},
                     {"action", session.action},
                     {"changes", session.changes}});
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_redis_recover_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "redis-recover",
      "Settle prepare-commit sessions left prepared: replay the committed (into the store, and to ZeroMQ "
      "subscribers when asked), drop the aborted, leave the rest");
  auto args = std::make_shared<RecoverArgs>();
  add_redis_flags(*cmd, args->redis);
  cmd->add_option("--records-namespace", args->records_namespace,
                  "Namespace of the prepare-commit records (strftime pattern in UTC)")
      ->capture_default_str();
  cmd->add_option("--days", args->days, "Look at the sessions prepared over the last N days")
      ->check(whole_number_from<int>(1))
      ->capture_default_str();
  cmd->add_flag("--dry-run", args->dry_run, "Say what would be done, change nothing");
  add_zmq_endpoint_flags(*cmd, args->zmq);
  auto* zmq_wait = cmd->add_option("--zmq-wait", args->zmq_wait_seconds,
                  "Seconds to wait for a first ZeroMQ subscriber before replaying (none: exit 4, nothing changed), "
                  "and for the messages to leave at the end")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  set_examples(cmd, {"meowmx redis-recover --dry-run",
                     "meowmx --dsn postgresql://app@db/app redis-recover --redis-url redis://cache:6379 --days 2",
                     "meowmx redis-recover --zmq-bind tcp://127.0.0.1:5557 --zmq-wait 30"});
  cmd->callback([&global, &action, args, zmq_wait] {
    const bool wait_given = zmq_wait->count() > 0;
    action = [&global, args, wait_given] {
      if (wait_given && args->zmq.bind.empty() && args->zmq.connect.empty()) {
        throw InvalidArgument("--zmq-wait needs --zmq-bind or --zmq-connect");
      }
      return run_recover(global, *args);
    };
  });
}

}  // namespace meowmx::cli

// meowmx redis-recover: settles the prepare-commit sessions writers left
// prepared, one JSON line per session.
#include <memory>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/redis_store.h"
#include "redis_options.h"
#include "whole_number_option.h"

namespace meowmx::cli {
namespace {

struct RecoverArgs {
  RedisFlags redis;
  std::string records_namespace = PrepareCommitOptions{}.namespace_pattern;
  int days = RecoveryOptions{}.days;
  bool dry_run = false;
};

int run_recover(const GlobalOptions& global, const RecoverArgs& args) {
  RecoveryOptions options;
  options.records.store = args.redis.store();
  options.records.namespace_pattern = args.records_namespace;
  options.dsn = resolve_dsn(global);
  options.days = args.days;
  options.dry_run = args.dry_run;
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
      "Settle prepare-commit sessions left prepared: replay the committed, drop the aborted, leave the rest");
  auto args = std::make_shared<RecoverArgs>();
  add_redis_flags(*cmd, args->redis);
  cmd->add_option("--records-namespace", args->records_namespace,
                  "Namespace of the prepare-commit records (strftime pattern in UTC)")
      ->capture_default_str();
  cmd->add_option("--days", args->days, "Look at the sessions prepared over the last N days")
      ->check(whole_number_from<int>(1))
      ->capture_default_str();
  cmd->add_flag("--dry-run", args->dry_run, "Say what would be done, change nothing");
  set_examples(cmd, {"meowmx redis-recover --dry-run",
                     "meowmx --dsn postgresql://app@db/app redis-recover --redis-url redis://cache:6379 --days 2"});
  cmd->callback([&global, &action, args] { action = [&global, args] { return run_recover(global, *args); }; });
}

}  // namespace meowmx::cli

// meowmx replicate, replicate-status: pks of changed rows handed to workers
// that run a command or copy the rows into another PostgreSQL database.
#include <cmath>
#include <cstdio>
#include <stop_token>

#include <pqxx/pqxx>

#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/replicator.h"
#include "meowmx/replicator/postgres_target.h"
#include "pg/connection_errors.h"
#include "pub/flag_groups.h"
#include "replicate/command.h"
#include "replicate/exec_action.h"
#include "stop_signal.h"
#include "whole_number_option.h"

namespace meowmx::cli {
namespace {

struct ReplicateArgs {
  // Inputs: exactly one of the three.
  std::string source = "postgres";
  std::vector<std::string> tables;
  std::vector<std::string> zmq_connect;
  std::string subscription;
  std::vector<std::string> categories;
  // Workers.
  std::vector<std::string> topics;
  TopicOptions topic;
  double initial_backoff = 0.1;
  double max_backoff = 10;
  std::string hash = "jump";
  // Actions: exactly one.
  std::string exec;
  std::string target;
  std::string target_dsn;
  std::string parked_file;
  double report_interval = 10;
  std::vector<std::unique_ptr<SourceFlags>> source_groups = source_flag_groups();
  std::vector<CLI::Option_group*> groups;  // in the order of source_groups
};

std::chrono::milliseconds from_seconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(seconds * 1000)));
}

const SourceFlags& capture_source(const ReplicateArgs& args) {
  for (const auto& group : args.source_groups) {
    if (group->name() == args.source) return *group;
  }
  throw InvalidArgument("unknown --source " + args.source);
}

ReplicatorInput input_of(const GlobalOptions& global, const ReplicateArgs& args) {
  const int inputs = !args.tables.empty() + !args.zmq_connect.empty() + !args.subscription.empty();
  if (inputs != 1) {
    throw InvalidArgument("give exactly one input: --tables (with --source), --zmq-connect or --subscription");
  }
  std::vector<GroupChoice> choices;
  for (std::size_t i = 0; i < args.source_groups.size(); ++i) {
    const auto& group = *args.source_groups[i];
    choices.push_back({*args.groups[i], !args.tables.empty() && group.name() == args.source, group.shared_flags()});
  }
  refuse_flags_of_groups_not_chosen(choices, "--tables with ");
  if (!args.categories.empty() && args.subscription.empty()) throw InvalidArgument("--category needs --subscription");
  if (!args.zmq_connect.empty()) return ZmqInput{.connect = args.zmq_connect};
  if (!args.subscription.empty()) {
    SubscriptionInput input;
    input.dsn = resolve_dsn(global);
    input.name = args.subscription;
    input.categories = args.categories;
    return input;
  }
  CaptureInput input;
  input.source = capture_source(args).options({resolve_dsn(global), args.tables});
  return input;
}

PkBatchAction action_of(const GlobalOptions& global, const ReplicateArgs& args) {
  if (args.exec.empty() == args.target.empty()) throw InvalidArgument("give exactly one action: --exec CMD or --target postgres");
  if (!args.exec.empty()) {
    if (!args.target_dsn.empty()) throw InvalidArgument("--target-dsn belongs to --target postgres");
    return make_exec_action(args.exec);
  }
  if (args.target_dsn.empty()) throw InvalidArgument("--target postgres needs --target-dsn");
  return make_postgres_target({.source_dsn = resolve_dsn(global), .target_dsn = args.target_dsn});
}

void print_status(const ReplicatorStatus& status) {
  for (const WorkerStatus& worker : status.workers) {
    print_json_line({{"topic", worker.topic},
                     {"worker", worker.worker},
                     {"queued", worker.queued},
                     {"done", worker.done},
                     {"retried", worker.retried},
                     {"parked", worker.parked},
                     {"folded", worker.folded}});
  }
  // A capture position is JSON of its own; a subscription checkpoint is "tx_id:id".
  nlohmann::json acknowledged = nlohmann::json::parse(status.acknowledged, nullptr, false);
  if (acknowledged.is_discarded()) acknowledged = status.acknowledged.empty() ? nlohmann::json() : nlohmann::json(status.acknowledged);
  print_json_line({{"acknowledged", acknowledged}});
  std::fflush(stdout);
}

int run_replicate(const GlobalOptions& global, ReplicateArgs& args) {
  // A source's one-off task (the trigger source's --uninstall), as pub does it.
  if (!args.tables.empty()) {
    if (const auto done = capture_source(args).run_instead({resolve_dsn(global), args.tables})) {
      print_json_line(*done);
      return 0;
    }
  }
  ReplicatorOptions options;
  options.input = input_of(global, args);
  options.parked_file = args.parked_file;
  options.status_interval = from_seconds(args.report_interval);
  const PkBatchAction action = action_of(global, args);
  TopicOptions topic = args.topic;
  topic.initial_backoff = from_seconds(args.initial_backoff);
  topic.max_backoff = from_seconds(args.max_backoff);
  topic.hash = args.hash == "ketama" ? PkHash::kKetama : PkHash::kJump;
  Replicator replicator(std::move(options));
  for (const auto& name : args.topics.empty() ? std::vector<std::string>{"*"} : args.topics) {
    replicator.on_batch(name, topic, action);
  }
  {
    std::stop_callback on_stop(stop_token(), [&replicator] { replicator.stop(); });
    replicator.run();
  }
  print_status(replicator.status());
  return 0;
}

// What the durable inputs parked, per input and topic.
int run_status(const GlobalOptions& global, bool json) {
  const std::string dsn = resolve_dsn(global);
  pqxx::result rows;
  try {
    pqxx::connection connection(dsn);
    pqxx::read_transaction tx(connection);
    if (tx.exec1("SELECT to_regclass('meowmx.replicator_parked')")[0].is_null()) throw Error(internal::kSchemaNotSetUp);
    rows = tx.exec(
        "SELECT input, topic, count(*), max(parked_at)::text FROM meowmx.replicator_parked "
        "GROUP BY input, topic ORDER BY input, topic");
  } catch (...) {
    internal::rethrow_as_meowmx_error("reading parked pks", dsn);
  }
  if (json) {
    for (const auto& row : rows) {
      print_json_line({{"input", row[0].c_str()},
                       {"topic", row[1].c_str()},
                       {"parked", row[2].as<std::int64_t>()},
                       {"last_parked_at", row[3].c_str()}});
    }
  } else {
    std::printf("%-32s %-24s %8s  %s\n", "INPUT", "TOPIC", "PARKED", "LAST PARKED AT");
    for (const auto& row : rows) {
      std::printf("%-32s %-24s %8s  %s\n", row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str());
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

void add_replicate_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "replicate", "Hand the pks of changed rows to consistent-hashed workers that run a command or copy the "
                   "rows into another PostgreSQL database");
  auto args = std::make_shared<ReplicateArgs>();
  std::vector<std::string> source_names;
  for (const auto& group : args->source_groups) source_names.emplace_back(group->name());
  cmd->add_option("--tables", args->tables,
                  "Input: capture these tables in-process (as pub does; durable, acknowledged up to what every "
                  "worker finished)")
      ->delimiter(',');
  cmd->add_option("--source", args->source, "The capture source for --tables")
      ->check(CLI::IsMember(source_names))
      ->capture_default_str();
  cmd->add_option("--zmq-connect", args->zmq_connect,
                  "Input: a ZeroMQ PUB socket sending `table_action pk` (pub --sink zmq); at most once across restarts")
      ->delimiter(',');
  cmd->add_option("--subscription", args->subscription,
                  "Input: this event-log subscription (topic = event type, pk = aggregate id); durable");
  cmd->add_option("--category", args->categories, "Aggregate types for --subscription (repeat or comma-separate)")
      ->delimiter(',');
  cmd->add_option("--topic", args->topics, "Event names or fnmatch patterns to handle, e.g. orders_update, 'orders_*' "
                                           "(repeat; default: all)");
  cmd->add_option("--workers", args->topic.workers, "Workers per topic")
      ->check(whole_number_from<int>(1))
      ->capture_default_str();
  cmd->add_option("--batch-size", args->topic.batch, "Most distinct pks per action call")
      ->check(whole_number_from<std::size_t>(1))
      ->capture_default_str();
  cmd->add_option("--queue-limit", args->topic.queue_limit,
                  "Entries per worker queue; past it duplicates fold and the input waits")
      ->check(whole_number_from<std::size_t>(1))
      ->capture_default_str();
  cmd->add_option("--max-attempts", args->topic.max_attempts, "Attempts per pk before it is parked")
      ->check(whole_number_from<int>(1))
      ->capture_default_str();
  cmd->add_option("--initial-backoff", args->initial_backoff, "Seconds before the first retry, doubling")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--max-backoff", args->max_backoff, "Longest wait between retries, in seconds")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--hash", args->hash, "How pks map to workers: jump (FNV-1a + jump hash) or ketama (meepo's ring)")
      ->check(CLI::IsMember({"jump", "ketama"}))
      ->capture_default_str();
  cmd->add_option("--exec", args->exec,
                  "Action: a shell command per batch, pks as JSON lines on stdin; exit 0 = done, except the pks of "
                  "a JSON array on its last such output line");
  cmd->add_option("--target", args->target, "Action: copy each row by pk into another database")
      ->check(CLI::IsMember({"postgres"}));
  cmd->add_option("--target-dsn", args->target_dsn, "The database --target postgres writes to");
  cmd->add_option("--parked-file", args->parked_file,
                  "Park failed pks in this JSON-lines file (default for durable inputs: meowmx.replicator_parked)");
  cmd->add_option("--report-interval", args->report_interval,
                  "Seconds between status log lines per worker (info level); 0: none")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  for (const auto& group : args->source_groups) {
    auto* options = cmd->add_option_group("--source " + std::string(group->name()));
    group->add_flags(*options);
    args->groups.push_back(options);
  }
  set_examples(cmd, {"meowmx replicate --tables orders --slot orders_copy --target postgres "
                     "--target-dsn postgresql://app@replica/app",
                     "meowmx replicate --tables orders --slot orders_cache --topic 'orders_*' --workers 8 "
                     "--exec ./invalidate.sh",
                     "meowmx replicate --zmq-connect tcp://127.0.0.1:5555 --topic orders_update --exec 'cat >> pks.jsonl' "
                     "--parked-file parked.jsonl",
                     "meowmx replicate --subscription search --category order --exec ./index.sh"});
  cmd->callback([&global, &action, args] { action = [&global, args] { return run_replicate(global, *args); }; });

  auto* status = app.add_subcommand("replicate-status", "Show the pks the replicator parked, per input and topic");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "JSON lines instead of a table");
  set_examples(status, {"meowmx replicate-status", "meowmx replicate-status --json"});
  status->callback([&global, &action, json] { action = [&global, json] { return run_status(global, *json); }; });
}

}  // namespace meowmx::cli

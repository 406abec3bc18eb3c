#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "common/child_process.h"
#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/validation.h"
#include "progress.h"
#include "status_text.h"
#include "stop_signal.h"
#include "whole_number_option.h"

namespace meowmx::cli {
namespace {

struct SubArgs {
  std::string name;
  SubscriptionOptions options;
  double max_sleep_seconds = 5;
  std::string from = "beginning";
  std::string exec;
  std::string on_failure = "stop";
  bool quiet = false;
  int progress_interval_seconds = 60;
};

StartFrom parse_start(const std::string& text) {
  if (text == "beginning") return StartFrom::kBeginning;
  if (text == "now") return StartFrom::kNow;
  throw InvalidArgument("invalid start '" + text + "': choose beginning or now");
}

// Prints each batch as JSON lines and flushes before the checkpoint commits,
// so a crash repeats output (at-least-once) but never loses it. Output that
// cannot be written is no event's fault: the subscription stops.
void print_batch(const std::vector<RecordedEvent>& batch, pqxx::work&) {
  print_events(batch);
  if (std::ferror(stdout)) throw HandlerAborted("cannot write to stdout: stopping before the checkpoint");
}

// The shell's statuses for a command it could not run: not found, not executable.
constexpr int kCommandNotFound = 127;
constexpr int kCommandNotExecutable = 126;

// Hands the batch to `sh -c command` on stdin; the checkpoint commits only
// when the command exits 0. A command that cannot run at all fails every
// batch alike, so it stops the subscription instead of failing the events.
BatchHandler exec_batch(const std::string& command) {
  return [command](const std::vector<RecordedEvent>& batch, pqxx::work&) {
    internal::ChildProcessOptions options;
    options.capture_output = false;
    for (const auto& event : batch) options.input += json_line(event) + "\n";
    int status = 0;
    try {
      internal::ChildProcess child({"/bin/sh", "-c", command}, options);
      status = child.wait();
    } catch (const Error& e) {
      throw HandlerAborted(std::string("cannot run the --exec command: ") + e.what());
    }
    if (status == kCommandNotFound || status == kCommandNotExecutable) {
      throw HandlerAborted("the --exec command could not run (status " + std::to_string(status) +
                           (status == kCommandNotFound ? ": command not found" : ": not executable") +
                           "): stopping before the checkpoint");
    }
    if (status != 0) throw Error("--exec command exited with status " + std::to_string(status));
  };
}

int run_sub(const GlobalOptions& global, SubArgs& args) {
  args.options.start = parse_start(args.from);
  args.options.max_sleep = std::chrono::milliseconds(std::llround(args.max_sleep_seconds * 1000));
  if (args.options.max_sleep < kMinMaxSleep) {
    throw InvalidArgument("--max-sleep must be at least 0.01 seconds");
  }
  if (args.on_failure == "dead-letter") args.options.retry.on_failure = OnHandlerFailure::kDeadLetter;
  check_name("subscription name", args.name);
  for (const auto& category : args.options.categories) check_name("category", category);
  Client client = connect(global);
  ProgressReporter progress({.label = "sub " + args.name,
                             .interval = std::chrono::seconds(args.progress_interval_seconds),
                             .quiet = args.quiet});
  BatchHandler handler = args.exec.empty() ? BatchHandler(print_batch) : exec_batch(args.exec);
  client.subscribe(args.name, args.options,
                   [&](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
                     handler(batch, tx);
                     if (!batch.empty()) progress.add(std::ssize(batch), batch.back().position().to_string());
                   },
                   stop_token());
  return 0;
}

// "1234", or "~56000" for an estimate beyond the exact count's bound.
std::string count_text(std::int64_t count, bool exact) { return (exact ? "" : "~") + std::to_string(count); }

void print_status_table(const std::vector<SubscriptionStatus>& rows,
                        const std::vector<HorizonHolder>& holders) {
  if (rows.empty()) {
    std::cout << "no subscriptions\n";
    return;
  }
  std::vector<std::vector<std::string>> table = {
      {"NAME", "MEMBER", "CATEGORIES", "CHECKPOINT", "DELIVERED", "BEHIND", "LAG", "HELD", "DEAD", "WORKER"}};
  bool held_back = false;
  bool estimated = false;
  for (const auto& s : rows) {
    std::string categories;
    for (const auto& c : s.categories) categories += (categories.empty() ? "" : ",") + c;
    table.push_back({s.name, std::to_string(s.group_member) + "/" + std::to_string(s.group_size),
                     categories.empty() ? "*" : categories, s.checkpoint, std::to_string(s.delivered),
                     count_text(s.events_behind, s.events_behind_exact), format_duration(s.seconds_behind),
                     count_text(s.held_back, s.held_back_exact), std::to_string(s.dead_letters),
                     s.worker.empty() ? "-" : s.worker + (s.worker_alive ? "" : " (gone)")});
    held_back = held_back || s.held_back > 0;
    estimated = estimated || !s.events_behind_exact || !s.held_back_exact;
  }
  print_aligned(table);
  if (estimated) std::cout << "\n~: an estimate; counts stop at 10000 so that status stays cheap\n";
  if (held_back && !holders.empty()) {
    const auto& h = holders.front();
    std::cout << "\nheld back by " << (h.pid ? "pid " + std::to_string(*h.pid) : "prepared transaction")
              << (h.pid && !h.application_name.empty() ? " (" + h.application_name + ")" : "") << ", xid "
              << h.xid << ", open for " << format_duration(h.age_seconds) << " (" << h.state << ") in database "
              << h.database << " as " << h.user_name << ": " << h.query << "\n";
  }
}

int run_status(const GlobalOptions& global, bool json) {
  Client client = connect(global);
  const auto rows = client.subscription_status();
  const auto holders = client.horizon_holders();
  if (!json) {
    print_status_table(rows, holders);
    return 0;
  }
  for (const auto& s : rows) {
    nlohmann::json line = {{"name", s.name},
                           {"group_member", s.group_member},
                           {"group_size", s.group_size},
                           {"categories", s.categories},
                           {"checkpoint", s.checkpoint},
                           {"delivered", s.delivered},
                           {"events_behind", s.events_behind},
                           {"events_behind_exact", s.events_behind_exact},
                           {"seconds_behind", s.seconds_behind},
                           {"held_back", s.held_back},
                           {"held_back_exact", s.held_back_exact},
                           {"dead_letters", s.dead_letters},
                           {"worker", s.worker.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.worker)},
                           {"worker_alive", s.worker_alive},
                           {"updated_at", s.updated_at},
                           {"held_back_by", nullptr}};
    if (s.held_back > 0 && !holders.empty()) {
      const auto& h = holders.front();
      line["held_back_by"] = {{"pid", h.pid ? nlohmann::json(*h.pid) : nlohmann::json(nullptr)},
                              {"xid", h.xid},
                              {"age_seconds", h.age_seconds},
                              {"state", h.state},
                              {"database", h.database},
                              {"user_name", h.user_name},
                              {"application_name", h.application_name},
                              {"query", h.query}};
    }
    print_json_line(line);
  }
  return 0;
}

}  // namespace

void add_subscription_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* sub = app.add_subcommand(
      "sub", "Run a subscription worker: print each event as a JSON line (or --exec a command per batch)");
  auto args = std::make_shared<SubArgs>();
  sub->add_option("name", args->name, "Subscription name")->required();
  sub->add_option("--category", args->options.categories,
                  "Aggregate type(s) to deliver, comma-separated; default all")
      ->delimiter(',');
  sub->add_option("--batch-size", args->options.batch_size, "Events per batch")
      ->check(whole_number_from<std::int64_t>(1))
      ->capture_default_str();
  sub->add_option("--max-sleep", args->max_sleep_seconds, "Longest poll interval in seconds when idle (at least 0.01)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--from", args->from, "Where a new subscription starts")
      ->check(CLI::IsMember({"beginning", "now"}))
      ->capture_default_str();
  auto* group_member =
      sub->add_option("--group-member", args->options.group_member, "Consumer group member index (0-based)")
          ->check(whole_number_from<int>(0));
  auto* group_size = sub->add_option("--group-size", args->options.group_size, "Consumer group size")
                         ->check(whole_number_from<int>(1));
  // A size without a member would silently run member 0 alone.
  group_member->needs(group_size);
  group_size->needs(group_member);
  sub->add_option("--exec", args->exec,
                  "Run this shell command per batch with the events as JSON lines on stdin; "
                  "the checkpoint commits only if it exits 0");
  sub->add_option("--max-attempts", args->options.retry.max_attempts, "Attempts per failing event")
      ->check(whole_number_from<int>(1))
      ->capture_default_str();
  sub->add_option("--on-failure", args->on_failure,
                  "When attempts run out: stop (exit 1) or dead-letter (park the event, go on)")
      ->check(CLI::IsMember({"stop", "dead-letter"}))
      ->capture_default_str();
  sub->add_flag("--until-caught-up", args->options.stop_when_caught_up,
                "Exit 0 once every deliverable event is delivered");
  sub->add_flag("--quiet", args->quiet,
                "No progress on stderr (by default: a live line on a terminal, else a summary per interval)");
  sub->add_option("--progress-interval", args->progress_interval_seconds,
                  "Seconds between progress summaries when stderr is no terminal")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  set_examples(sub, {"meowmx sub orders-printer --category order --until-caught-up",
                     "meowmx sub mailer --category order --exec 'send-mails' --on-failure dead-letter",
                     "meowmx sub projector --group-size 2 --group-member 0 --batch-size 500"});
  sub->callback([&global, &action, args] { action = [&global, args] { return run_sub(global, *args); }; });

  auto* status = app.add_subcommand(
      "status", "Subscriptions: checkpoint, lag in events and seconds, worker, and what holds delivery back");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "JSON lines instead of a table");
  set_examples(status, {"meowmx status", "meowmx status --json | jq 'select(.events_behind > 0)'"});
  status->callback([&global, &action, json] { action = [&global, json] { return run_status(global, *json); }; });

  auto* reset = app.add_subcommand("sub-reset", "Move a subscription's checkpoints to the beginning or to now");
  auto reset_name = std::make_shared<std::string>();
  auto reset_to = std::make_shared<std::string>("beginning");
  reset->add_option("name", *reset_name, "Subscription name")->required();
  reset->add_option("--to", *reset_to, "Where the checkpoints go")
      ->check(CLI::IsMember({"beginning", "now"}))
      ->capture_default_str();
  set_examples(reset, {"meowmx sub-reset orders-printer", "meowmx sub-reset mailer --to now"});
  reset->callback([&global, &action, reset_name, reset_to] {
    action = [&global, reset_name, reset_to] {
      const StartFrom to = parse_start(*reset_to);
      check_name("subscription name", *reset_name);
      connect(global).reset_subscription(*reset_name, to);
      print_json_line({{"subscription", *reset_name}, {"reset_to", *reset_to}});
      return 0;
    };
  });

  auto* remove = app.add_subcommand("sub-delete", "Delete a subscription, its checkpoints and dead letters");
  auto delete_name = std::make_shared<std::string>();
  remove->add_option("name", *delete_name, "Subscription name")->required();
  set_examples(remove, {"meowmx sub-delete orders-printer", "meowmx --dsn \"$PROD_DSN\" sub-delete old-mailer"});
  remove->callback([&global, &action, delete_name] {
    action = [&global, delete_name] {
      check_name("subscription name", *delete_name);
      connect(global).delete_subscription(*delete_name);
      print_json_line({{"subscription", *delete_name}, {"deleted", true}});
      return 0;
    };
  });
}

}  // namespace meowmx::cli

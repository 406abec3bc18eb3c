// meowmx pub, pub-status, pub-drop: change capture from the command line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stop_token>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/change_capture.h"
#include "meowmx/error.h"
#include "pub/flag_groups.h"
#include "pub/progress_sink.h"
#include "status_text.h"
#include "stop_signal.h"

namespace meowmx::cli {
namespace {

// The command's own flags; each source and sink brings its group (pub/).
struct PubArgs {
  std::string source = "postgres";
  std::vector<std::string> tables;
  std::vector<std::string> sinks;
  bool quiet = false;
  std::vector<std::unique_ptr<SourceFlags>> source_groups = source_flag_groups();
  std::vector<std::unique_ptr<SinkFlags>> sink_groups = sink_flag_groups();
  std::vector<CLI::Option_group*> groups;  // in the order of source_groups, then sink_groups
};

struct SlotArgs {
  std::string slot = "meowmx_pub";
  std::string publication;
  bool json = false;
};

// pub-status of a binlog stream: where its position is kept and its server.
struct MysqlStatusArgs {
  std::string source = "postgres";
  MysqlSource stream;  // --mysql-dsn and --state-file, as pub --source mysql takes them
};

bool chosen(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A flag of a group that is not chosen would be ignored: refuse it.
void check_unused_groups(const PubArgs& args, const std::vector<std::string>& sinks) {
  std::vector<GroupChoice> choices;
  std::size_t at = 0;
  for (const auto& group : args.source_groups) {
    choices.push_back({*args.groups[at++], group->name() == args.source, group->shared_flags()});
  }
  for (const auto& group : args.sink_groups) choices.push_back({*args.groups[at++], chosen(sinks, group->name())});
  refuse_flags_of_groups_not_chosen(choices);
}

// The PostgreSQL DSN; a source that can do without gets "" when none resolves.
std::string optional_dsn(const GlobalOptions& global, bool needed) {
  try {
    return resolve_dsn(global);
  } catch (const ConnectionError&) {
    if (needed) throw;
    return "";
  }
}

// Runs the pub until it ends by itself (--once) or SIGINT/SIGTERM asks it
// to stop after the transaction in hand.
void run_until_stopped(Pub& pub) {
  std::stop_callback on_stop(stop_token(), [&pub] { pub.stop(); });
  pub.run();
}

int run_pub(const GlobalOptions& global, const PubArgs& args) {
  const auto sinks = args.sinks.empty() ? std::vector<std::string>{"print"} : args.sinks;
  check_unused_groups(args, sinks);
  const SourceFlags* source = nullptr;
  for (const auto& group : args.source_groups) {
    if (group->name() == args.source) source = group.get();
  }
  const PubTarget target{optional_dsn(global, source->needs_dsn()), args.tables};
  if (const auto done = source->run_instead(target)) {
    print_json_line(*done);
    return 0;
  }
  // A private bus: no signal receivers, so it costs nothing.
  SignalBus bus;
  Pub pub({.source = source->options(target)}, bus);
  for (const auto& group : args.sink_groups) {
    if (chosen(sinks, group->name())) pub.add_sink(group->make(target));
  }
  pub.add_sink(make_progress_sink({.label = "pub " + args.source, .unit = "changes captured", .quiet = args.quiet}));
  run_until_stopped(pub);
  return 0;
}

// "none", "12 kB of changes", or "12 kB" when whether it holds changes is not known.
std::string pending_text(const PubStatus& status) {
  if (status.changes_pending == false) return "none";
  return format_bytes(status.pending_wal_bytes) + (status.changes_pending == true ? " of changes" : "");
}

nlohmann::json status_json(const PubStatus& status) {
  const auto optional = [](const auto& value) { return value ? nlohmann::json(*value) : nlohmann::json(nullptr); };
  return {{"slot", status.slot},
          {"plugin", status.plugin},
          {"database", status.database},
          {"active", status.active},
          {"active_pid", optional(status.active_pid)},
          {"wal_status", status.wal_status},
          {"confirmed_flush_lsn", status.confirmed_flush_lsn},
          {"restart_lsn", status.restart_lsn},
          {"current_lsn", status.current_lsn},
          {"retained_wal_bytes", status.retained_wal_bytes},
          {"pending_wal_bytes", status.pending_wal_bytes},
          {"changes_pending", optional(status.changes_pending)},
          {"lag_seconds", optional(status.lag_seconds)},
          {"publication", status.publication.empty() ? nullptr : nlohmann::json(status.publication)},
          {"tables", status.tables},
          {"parked_changes", status.parked_changes}};
}

void print_status_details(const PubStatus& status) {
  std::string tables;
  for (const auto& table : status.tables) tables += (tables.empty() ? "" : ", ") + table;
  const std::string active =
      status.active ? "yes (pid " + std::to_string(status.active_pid.value_or(0)) + ")" : "no";
  print_aligned({{"slot", status.slot},
                 {"plugin", status.plugin},
                 {"database", status.database},
                 {"active", active},
                 {"wal status", status.wal_status},
                 {"confirmed position", status.confirmed_flush_lsn},
                 {"restart position", status.restart_lsn},
                 {"current position", status.current_lsn},
                 {"retained WAL", format_bytes(status.retained_wal_bytes) + " (kept for this slot)"},
                 {"pending", pending_text(status) + " (after the confirmed position)"},
                 {"lag", status.lag_seconds ? format_duration(*status.lag_seconds) : "unknown"},
                 {"publication", status.publication.empty() ? "(missing)" : status.publication + " (" + tables + ")"},
                 {"parked changes", std::to_string(status.parked_changes) + " (in meowmx.capture_dead_letters)"}});
}

void print_status_table(const std::vector<PubStatus>& statuses) {
  if (statuses.empty()) {
    std::cout << "no replication slots for change capture in this database" << std::endl;
    return;
  }
  std::vector<std::vector<std::string>> table{
      {"SLOT", "ACTIVE", "CONFIRMED", "RETAINED", "PENDING", "LAG", "PARKED", "PUBLICATION"}};
  for (const auto& status : statuses) {
    table.push_back({status.slot, status.active ? "yes" : "no", status.confirmed_flush_lsn,
                     format_bytes(status.retained_wal_bytes), pending_text(status),
                     status.lag_seconds ? format_duration(*status.lag_seconds) : "-",
                     std::to_string(status.parked_changes), status.publication.empty() ? "-" : status.publication});
  }
  print_aligned(table);
}

std::string binlog_text(const BinlogPosition& position) {
  return position.file + ":" + std::to_string(position.pos);
}

// A binlog stream: the position kept for it, the server's, the bytes between.
int run_mysql_status(const GlobalOptions& global, const SlotArgs& args, const MysqlStatusArgs& mysql) {
  MysqlSource source = mysql.stream;
  require_mysql_dsn(source);
  source.slot = args.slot.empty() ? "meowmx_pub" : args.slot;
  if (source.state_file.empty()) source.position_dsn = resolve_dsn(global);
  const MysqlPubStatus status = mysql_pub_status(source);
  const auto position_json = [](const BinlogPosition& position) -> nlohmann::json {
    return {{"file", position.file},
            {"pos", position.pos},
            {"gtid", position.gtid.empty() ? nlohmann::json(nullptr) : nlohmann::json(position.gtid)}};
  };
  if (args.json) {
    print_json_line({{"slot", status.slot},
                     {"source", "mysql"},
                     {"kept_position", status.kept ? position_json(*status.kept) : nlohmann::json(nullptr)},
                     {"current_position", position_json(status.current)},
                     {"purged", status.purged},
                     {"pending_bytes", status.pending_bytes}});
  } else {
    const std::string kept = status.kept ? binlog_text(*status.kept) +
                                               (status.kept->gtid.empty() ? "" : " (gtid " + status.kept->gtid + ")")
                                         : "none yet (the stream starts where --from says)";
    print_aligned({{"slot", status.slot},
                   {"source", "mysql"},
                   {"kept position", kept},
                   {"current position", binlog_text(status.current) +
                                            (status.current.gtid.empty() ? "" : " (gtid " + status.current.gtid + ")")},
                   {"pending", status.purged ? "unknown: the kept position's binlog was purged (changes are lost)"
                                             : format_bytes(status.pending_bytes) + " of binlog after the kept position"}});
  }
  std::fflush(stdout);
  return 0;
}

// One slot in detail with --slot; every slot of the database without.
int run_status(const GlobalOptions& global, const SlotArgs& args) {
  const std::string dsn = resolve_dsn(global);
  const std::vector<PubStatus> statuses =
      args.slot.empty() ? pub_statuses(dsn) : std::vector<PubStatus>{pub_status(dsn, args.slot, args.publication)};
  if (args.json) {
    for (const auto& status : statuses) print_json_line(status_json(status));
  } else if (args.slot.empty()) {
    print_status_table(statuses);
  } else {
    print_status_details(statuses.front());
  }
  std::fflush(stdout);
  return 0;
}

int run_drop(const GlobalOptions& global, const SlotArgs& args) {
  const PubDropResult dropped = pub_drop(resolve_dsn(global), args.slot, args.publication);
  print_json_line({{"slot", args.slot},
                   {"slot_dropped", dropped.slot_dropped},
                   {"publication", args.publication.empty() ? args.slot : args.publication},
                   {"publication_dropped", dropped.publication_dropped}});
  std::fflush(stdout);
  return 0;
}

void add_slot_options(CLI::App* cmd, SlotArgs& args) {
  cmd->add_option("--slot", args.slot, "Replication slot")->capture_default_str();
  cmd->add_option("--publication", args.publication, "Publication (default: named like the slot)");
}

}  // namespace

void add_pub_commands(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* pub = app.add_subcommand(
      "pub", "Capture table changes (logical decoding or triggers) and print them, publish them over "
             "ZeroMQ or append them to the event log");
  auto args = std::make_shared<PubArgs>();
  std::vector<std::string> source_names;
  std::string source_help = "Where changes come from:";
  for (const auto& group : args->source_groups) {
    source_names.emplace_back(group->name());
    source_help += " " + std::string(group->name()) + ": " + std::string(group->summary()) + ";";
  }
  std::vector<std::string> sink_names;
  std::string sink_help = "Where changes go (repeat or comma-separate):";
  for (const auto& group : args->sink_groups) {
    sink_names.emplace_back(group->name());
    sink_help += " " + std::string(group->name()) + ": " + std::string(group->summary()) + ";";
  }
  source_help.pop_back();
  sink_help.pop_back();
  pub->add_option("--source", args->source, source_help)->check(CLI::IsMember(source_names))->capture_default_str();
  pub->add_option("--tables", args->tables,
                  "Tables to capture, comma-separated: table, schema.table, or with double quotes for any "
                  "other name (\"Odd Schema\".\"order-items\")")
      ->delimiter(',')
      ->required();
  pub->add_option("--sink", args->sinks, sink_help)->delimiter(',')->check(CLI::IsMember(sink_names));
  pub->add_flag("--quiet", args->quiet, "No progress on stderr (changes captured, rate, position)");
  for (const auto& group : args->source_groups) {
    auto* options = pub->add_option_group("--source " + std::string(group->name()));
    group->add_flags(*options);
    args->groups.push_back(options);
  }
  for (const auto& group : args->sink_groups) {
    auto* options = pub->add_option_group("--sink " + std::string(group->name()));
    group->add_flags(*options);
    args->groups.push_back(options);
  }
  set_examples(pub, {"meowmx pub --tables orders",
                     "meowmx pub --tables orders,sales.lines --sink log --once",
                     "meowmx pub --tables '\"Odd Schema\".\"order-items\"' --sink zmq --zmq-bind tcp://127.0.0.1:5555",
                     "meowmx pub --source postgres-trigger --tables orders --format json",
                     "meowmx pub --source mysql --mysql-dsn mysql://repl:secret@127.0.0.1:3306/ --tables shop.orders "
                     "--state-file orders.pos"});
  pub->callback([&global, &action, args] { action = [&global, args] { return run_pub(global, *args); }; });

  auto* status = app.add_subcommand(
      "pub-status", "Show the change-capture slots: confirmed position, the WAL they retain, what is pending, lag");
  auto status_args = std::make_shared<SlotArgs>();
  status_args->slot.clear();
  status->add_option("--slot", status_args->slot, "Show this slot in detail (default: a table of every slot)");
  status->add_option("--publication", status_args->publication, "Publication (default: named like the slot)");
  status->add_flag("--json", status_args->json, "One JSON object per slot instead of a table");
  auto mysql_args = std::make_shared<MysqlStatusArgs>();
  status->add_option("--source", mysql_args->source, "postgres (slots of --dsn) or mysql (a binlog stream)")
      ->check(CLI::IsMember({"postgres", "mysql"}))
      ->capture_default_str();
  auto* mysql_group = status->add_option_group("--source mysql");
  add_mysql_stream_flags(*mysql_group, mysql_args->stream);
  set_examples(status, {"meowmx pub-status", "meowmx pub-status --slot orders_cache",
                        "meowmx pub-status --json",
                        "meowmx pub-status --source mysql --mysql-dsn mysql://repl:secret@127.0.0.1:3306/ --slot orders"});
  status->callback([&global, &action, status_args, mysql_args, mysql_group] {
    action = [&global, status_args, mysql_args, mysql_group] {
      refuse_flags_of_groups_not_chosen({{*mysql_group, mysql_args->source == "mysql"}});
      if (mysql_args->source == "mysql") return run_mysql_status(global, *status_args, *mysql_args);
      return run_status(global, *status_args);
    };
  });

  auto* drop = app.add_subcommand("pub-drop", "Remove a pub's replication slot and its publication");
  auto drop_args = std::make_shared<SlotArgs>();
  add_slot_options(drop, *drop_args);
  set_examples(drop, {"meowmx pub-drop", "meowmx pub-drop --slot orders_cache"});
  drop->callback([&global, &action, drop_args] {
    action = [&global, drop_args] { return run_drop(global, *drop_args); };
  });
}

}  // namespace meowmx::cli

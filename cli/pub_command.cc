// meowmx pub, pub-status, pub-drop: change capture from the command line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stop_token>

#include "command.h"
#include "connect.h"
#include "json_lines.h"
#include "meowmx/change_capture.h"
#include "meowmx/error.h"
#include "stop_signal.h"

namespace meowmx::cli {
namespace {

struct PubArgs {
  std::string source = "postgres";
  std::vector<std::string> tables;
  std::string slot = "meowmx_pub";
  std::string publication;
  std::vector<std::string> sinks;
  std::string format = "text";
  std::string zmq_bind;
  std::string zmq_connect;
  bool raw = false;
  std::string log_dsn;
  bool once = false;
  double status_interval = 10;
  bool uninstall = false;
};

struct SlotArgs {
  std::string slot = "meowmx_pub";
  std::string publication;
  bool json = false;
};

bool wants(const std::vector<std::string>& sinks, const std::string& sink) {
  return std::find(sinks.begin(), sinks.end(), sink) != sinks.end();
}

std::vector<std::unique_ptr<Sink>> make_sinks(const PubArgs& args, const PubOptions& pub, SignalBus& bus) {
  const auto sinks = args.sinks.empty() ? std::vector<std::string>{"print"} : args.sinks;
  if (!wants(sinks, "zmq") && !(args.zmq_bind.empty() && args.zmq_connect.empty() && !args.raw)) {
    throw InvalidArgument("--zmq-bind, --zmq-connect and --raw belong to --sink zmq");
  }
  if (!wants(sinks, "log") && !args.log_dsn.empty()) throw InvalidArgument("--log-dsn belongs to --sink log");
  if (!wants(sinks, "print") && args.format != "text") throw InvalidArgument("--format belongs to --sink print");
  std::vector<std::unique_ptr<Sink>> made;
  if (wants(sinks, "print")) {
    PrintSinkOptions options;
    options.format = args.format == "json" ? PrintFormat::kJson : PrintFormat::kText;
    made.push_back(make_print_sink(bus, args.tables, options));
  }
  if (wants(sinks, "zmq")) {
    if (args.zmq_bind.empty() == args.zmq_connect.empty()) {
      throw InvalidArgument("--sink zmq needs exactly one of --zmq-bind or --zmq-connect");
    }
    ZmqSinkOptions options;
    options.bind = args.zmq_bind;
    options.connect = args.zmq_connect;
    options.raw = args.raw;
    made.push_back(make_zmq_sink(bus, args.tables, options));
  }
  if (wants(sinks, "log")) {
    LogSinkOptions options;
    options.dsn = args.log_dsn.empty() ? pub.dsn : args.log_dsn;
    options.stream_id = capture_stream_id(pub);
    made.push_back(make_log_sink(bus, args.tables, options));
  }
  return made;
}

// Runs the pub until it ends by itself (--once) or SIGINT/SIGTERM asks it
// to stop after the transaction in hand.
void run_until_stopped(Pub& pub) {
  std::stop_callback on_stop(stop_token(), [&pub] { pub.stop(); });
  pub.run();
}

int run_pub(const GlobalOptions& global, const PubArgs& args) {
  const std::string dsn = resolve_dsn(global);
  if (args.uninstall) {
    if (args.source != "postgres-trigger") throw InvalidArgument("--uninstall goes with --source postgres-trigger");
    uninstall_pub_triggers(dsn, args.tables);
    print_json_line({{"uninstalled", args.tables}});
    return 0;
  }
  PubOptions options;
  options.dsn = dsn;
  options.source = parse_pub_source(args.source);
  options.tables = args.tables;
  options.slot = args.slot;
  options.publication = args.publication;
  options.once = args.once;
  options.status_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(args.status_interval * 1000));
  // A private bus: the sinks hear this pub only.
  SignalBus bus;
  Pub pub(options, bus);
  const auto sinks = make_sinks(args, options, bus);
  run_until_stopped(pub);
  return 0;
}

std::string bytes_text(std::int64_t bytes) {
  if (bytes < 10 * 1024) return std::to_string(bytes) + " bytes";
  if (bytes < 10 * 1024 * 1024) return std::to_string(bytes / 1024) + " kB";
  return std::to_string(bytes / (1024 * 1024)) + " MB";
}

int run_status(const GlobalOptions& global, const SlotArgs& args) {
  const PubStatus status = pub_status(resolve_dsn(global), args.slot, args.publication);
  if (args.json) {
    print_json_line({{"slot", status.slot},
                     {"plugin", status.plugin},
                     {"database", status.database},
                     {"active", status.active},
                     {"active_pid", status.active_pid ? nlohmann::json(*status.active_pid) : nullptr},
                     {"wal_status", status.wal_status},
                     {"confirmed_flush_lsn", status.confirmed_flush_lsn},
                     {"restart_lsn", status.restart_lsn},
                     {"current_lsn", status.current_lsn},
                     {"retained_wal_bytes", status.retained_wal_bytes},
                     {"pending_wal_bytes", status.pending_wal_bytes},
                     {"publication", status.publication.empty() ? nullptr : nlohmann::json(status.publication)},
                     {"tables", status.tables}});
    std::fflush(stdout);
    return 0;
  }
  std::string tables;
  for (const auto& table : status.tables) tables += (tables.empty() ? "" : ", ") + table;
  auto row = [](const char* name, const std::string& value) { std::printf("%-20s %s\n", name, value.c_str()); };
  row("slot", status.slot);
  row("plugin", status.plugin);
  row("database", status.database);
  row("active", status.active ? "yes (pid " + std::to_string(status.active_pid.value_or(0)) + ")" : "no");
  row("wal status", status.wal_status);
  row("confirmed position", status.confirmed_flush_lsn);
  row("restart position", status.restart_lsn);
  row("current position", status.current_lsn);
  row("retained WAL", bytes_text(status.retained_wal_bytes) + " (kept for this slot)");
  row("pending WAL", bytes_text(status.pending_wal_bytes) + " (not yet acknowledged)");
  row("publication", status.publication.empty() ? "(missing)" : status.publication + " (" + tables + ")");
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
  pub->add_option("--source", args->source,
                  "postgres: logical decoding through a slot (resumable); postgres-trigger: triggers + "
                  "NOTIFY (lossy while nobody listens)")
      ->check(CLI::IsMember({"postgres", "postgres-trigger"}))
      ->capture_default_str();
  pub->add_option("--tables", args->tables, "Tables to capture: table or schema.table, comma-separated")
      ->delimiter(',')
      ->required();
  pub->add_option("--slot", args->slot, "Replication slot, created on first use")->capture_default_str();
  pub->add_option("--publication", args->publication, "Publication (default: named like the slot)");
  pub->add_option("--sink", args->sinks, "Where changes go: print (default), zmq, log; repeat or comma-separate")
      ->delimiter(',')
      ->check(CLI::IsMember({"print", "zmq", "log"}));
  pub->add_option("--format", args->format,
                  "print: text (\"orders_update 42\" lines) or json (the raw events)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  pub->add_option("--zmq-bind", args->zmq_bind, "zmq: bind the PUB socket here, e.g. tcp://127.0.0.1:5555");
  pub->add_option("--zmq-connect", args->zmq_connect, "zmq: connect the PUB socket to a forwarder here");
  pub->add_flag("--raw", args->raw, "zmq: add the raw JSON event as a second frame");
  pub->add_option("--log-dsn", args->log_dsn,
                  "log: event store to append to (default: the captured database); needs aggregate id type text");
  pub->add_flag("--once", args->once, "Stop at the end of the WAL as of the start instead of waiting for more");
  pub->add_option("--status-interval", args->status_interval,
                  "Seconds between position reports to the server when idle")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  pub->add_flag("--uninstall", args->uninstall, "postgres-trigger: remove the triggers from the tables and exit");
  pub->callback([&global, &action, args] { action = [&global, args] { return run_pub(global, *args); }; });

  auto* status = app.add_subcommand("pub-status", "Show a pub's slot: confirmed position and the WAL it retains");
  auto status_args = std::make_shared<SlotArgs>();
  add_slot_options(status, *status_args);
  status->add_flag("--json", status_args->json, "One JSON object instead of a table");
  status->callback([&global, &action, status_args] {
    action = [&global, status_args] { return run_status(global, *status_args); };
  });

  auto* drop = app.add_subcommand("pub-drop", "Remove a pub's replication slot and its publication");
  auto drop_args = std::make_shared<SlotArgs>();
  add_slot_options(drop, *drop_args);
  drop->callback([&global, &action, drop_args] {
    action = [&global, drop_args] { return run_drop(global, *drop_args); };
  });
}

}  // namespace meowmx::cli

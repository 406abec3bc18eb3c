#include <iostream>
#include <string>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/validation.h"

namespace meowmx::cli {
namespace {

struct SaveArgs {
  std::string aggregate_type;
  std::string aggregate_id;
  std::string version;
  std::string event_type;
  std::string json;
  std::string metadata;
  std::string event_id;
  bool from_stdin = false;
};

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidArgument("malformed JSON in " + what + ": " + e.what());
  }
}

// One JSON line: {"event_type": ..., "json": {...}, "metadata": {...}?, "event_id": "..."?}.
NewEvent event_from_line(const std::string& line, int number) {
  const std::string where = "stdin line " + std::to_string(number);
  const auto value = parse_json(line, where);
  if (!value.is_object() || !value.contains("event_type") || !value["event_type"].is_string() ||
      !value.contains("json")) {
    throw InvalidArgument(where + ": expected {\"event_type\": \"...\", \"json\": {...}}");
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "event_type" && key != "json" && key != "metadata" && key != "event_id") {
      throw InvalidArgument(where + ": unknown field '" + key + "'");
    }
  }
  NewEvent event;
  event.event_type = value["event_type"].get<std::string>();
  event.json = value["json"];
  event.metadata = value.value("metadata", nlohmann::json(nullptr));
  if (value.contains("event_id") && !value["event_id"].is_null()) {
    if (!value["event_id"].is_string()) throw InvalidArgument(where + ": event_id must be a string");
    event.event_id = value["event_id"].get<std::string>();
  }
  return event;
}

std::vector<NewEvent> events_from_stdin() {
  std::vector<NewEvent> events;
  int number = 0;
  for (std::string line; std::getline(std::cin, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    events.push_back(event_from_line(line, number));
  }
  return events;
}

}  // namespace

void add_save_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "save", "Append events to an aggregate as one atomic batch; prints them as JSON lines");
  auto args = std::make_shared<SaveArgs>();
  cmd->add_option("type", args->aggregate_type, "Aggregate type, e.g. order")->required();
  cmd->add_option("id", args->aggregate_id, "Aggregate id (uuid, text or bigint, as set up)")->required();
  cmd->add_option("--version", args->version,
                  "Events already stored in the aggregate (0 for a new one), or 'any'")
      ->required();
  auto* stdin_flag = cmd->add_flag("--stdin", args->from_stdin,
                                   "Read events as JSON lines {\"event_type\":...,\"json\":{...}}");
  auto* type_opt = cmd->add_option("--event-type", args->event_type, "Event type, e.g. OrderCreated");
  auto* json_opt = cmd->add_option("--json", args->json, "Event data: a JSON object");
  auto* meta_opt = cmd->add_option("--metadata", args->metadata, "Event metadata: a JSON object");
  auto* id_opt = cmd->add_option("--event-id", args->event_id,
                                 "Client event id (uuid): a retry with the same id is a no-op");
  for (auto* opt : {type_opt, json_opt, meta_opt, id_opt}) opt->excludes(stdin_flag);
  set_examples(cmd, {"meowmx save order \"$id\" --version 0 --event-type OrderCreated --json '{\"total\":42}'",
                     "meowmx save order \"$id\" --version any --event-type OrderNoted --json '{}'"
                     " --metadata '{\"by\":\"ada\"}'",
                     "meowmx save order \"$id\" --version 1 --stdin < events.jsonl"});
  cmd->callback([&global, &action, args] {
    action = [&global, args] {
      const ExpectedVersion version = ExpectedVersion::parse(args->version);
      std::vector<NewEvent> events;
      if (args->from_stdin) {
        events = events_from_stdin();
      } else {
        if (args->event_type.empty() || args->json.empty()) {
          throw InvalidArgument("save needs --event-type and --json, or --stdin");
        }
        NewEvent event;
        event.event_type = args->event_type;
        event.json = parse_json(args->json, "--json");
        if (!args->metadata.empty()) event.metadata = parse_json(args->metadata, "--metadata");
        if (!args->event_id.empty()) event.event_id = args->event_id;
        events.push_back(std::move(event));
      }
      check_name("aggregate type", args->aggregate_type);
      check_new_events(events, ClientOptions{}.max_event_bytes);
      Client client = connect(global);
      print_events(client.save(args->aggregate_type, args->aggregate_id, events, version));
      return 0;
    };
  });
}

}  // namespace meowmx::cli

#include <optional>
#include <string>
#include <string_view>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/validation.h"
#include "stop_signal.h"
#include "store/input_validation.h"
#include "store/json_text.h"

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

// One JSON line: {"event_type": ..., "json": {...}, "metadata": {...}?, "event_id": "..."?}. The
// payload and metadata are kept as the text of their members, so no digit is lost.
NewEvent event_from_line(std::string_view line, int number) {
  const std::string where = "stdin line " + std::to_string(number);
  internal::check_json_text(line, internal::JsonRoot::kObject, where);
  NewEvent event;
  bool has_type = false;
  bool has_json = false;
  for (const auto& [key, value] : internal::object_members(line)) {
    if (key == "event_type") {
      const auto type = nlohmann::json::parse(value);
      if (!type.is_string()) throw InvalidArgument(where + ": event_type must be a string");
      event.event_type = type.get<std::string>();
      has_type = true;
    } else if (key == "json") {
      event.json_text = std::string(value);
      has_json = true;
    } else if (key == "metadata") {
      event.metadata_text = std::string(value);
    } else if (key == "event_id") {
      const auto id = nlohmann::json::parse(value);
      if (!id.is_null() && !id.is_string()) throw InvalidArgument(where + ": event_id must be a string");
      if (id.is_string()) event.event_id = id.get<std::string>();
    } else {
      throw InvalidArgument(where + ": unknown field '" + internal::excerpt(key) + "'");
    }
  }
  if (!has_type || !has_json) {
    throw InvalidArgument(where + ": expected {\"event_type\": \"...\", \"json\": {...}}");
  }
  return event;
}

std::vector<NewEvent> events_from_stdin() {
  const std::optional<std::string> input = read_stdin_unless_stopped();
  if (!input) throw Error("interrupted while reading stdin: nothing was saved");
  std::vector<NewEvent> events;
  int number = 0;
  for (std::size_t begin = 0; begin < input->size();) {
    std::size_t end = input->find('\n', begin);
    if (end == std::string::npos) end = input->size();
    const std::string_view line = std::string_view(*input).substr(begin, end - begin);
    begin = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
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
        internal::check_json_text(args->json, internal::JsonRoot::kObject, "--json");
        NewEvent event{.event_type = args->event_type, .json_text = args->json};
        if (!args->metadata.empty()) {
          internal::check_json_text(args->metadata, internal::JsonRoot::kObjectOrNull, "--metadata");
          event.metadata_text = args->metadata;
        }
        if (!args->event_id.empty()) event.event_id = args->event_id;
        events.push_back(std::move(event));
      }
      check_name("aggregate type", args->aggregate_type);
      check_new_events(events, ClientOptions{}.max_event_bytes);
      if (stop_requested()) throw Error("interrupted: nothing was saved");
      Client client = connect(global);
      print_events(client.save(args->aggregate_type, args->aggregate_id, events, version));
      return 0;
    };
  });
}

}  // namespace meowmx::cli

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/validation.h"
#include "whole_number_option.h"

namespace meowmx::cli {

void add_load_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand("load", "Print an aggregate's events as JSON lines, in version order");
  struct Args {
    std::string aggregate_type, aggregate_id;
    LoadOptions options;
    std::int64_t to_version = -1, limit = -1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("type", args->aggregate_type, "Aggregate type")->required();
  cmd->add_option("id", args->aggregate_id, "Aggregate id")->required();
  cmd->add_option("--from-version", args->options.from_version, "First version to print (inclusive)")
      ->check(whole_number_from<std::int64_t>(0));
  cmd->add_option("--to-version", args->to_version, "Last version to print (inclusive)")
      ->check(whole_number_from<std::int64_t>(0));
  cmd->add_flag("--reverse", args->options.reverse, "Newest first");
  cmd->add_option("--limit", args->limit, "Print at most this many events")
      ->check(whole_number_from<std::int64_t>(0));
  set_examples(cmd, {"meowmx load order \"$id\"",
                     "meowmx load order \"$id\" --reverse --limit 1",
                     "meowmx load order \"$id\" --from-version 2 --to-version 5"});
  cmd->callback([&global, &action, args] {
    action = [&global, args] {
      if (args->to_version >= 0) args->options.to_version = args->to_version;
      if (args->limit >= 0) args->options.limit = args->limit;
      check_name("aggregate type", args->aggregate_type);
      Client client = connect(global);
      print_events(client.load(args->aggregate_type, args->aggregate_id, args->options));
      return 0;
    };
  });
}

}  // namespace meowmx::cli

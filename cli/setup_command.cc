#include <iostream>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "meowmx/error.h"
#include "meowmx/options.h"
#include "stop_signal.h"

namespace meowmx::cli {

void add_setup_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand("setup", "Create or upgrade the meowmx schema (idempotent)");
  auto id_type = std::make_shared<std::string>();
  cmd->add_option("--aggregate-id-type", *id_type,
                  "Aggregate id column type, chosen at the first set-up (default uuid)")
      ->check(CLI::IsMember({"uuid", "text", "bigint"}));
  set_examples(cmd, {"meowmx setup",
                     "meowmx setup --aggregate-id-type text",
                     "meowmx --dsn postgresql://app@db.example.com/app setup"});
  cmd->callback([&global, &action, id_type] {
    action = [&global, id_type] {
      SetupOptions options;
      if (!id_type->empty()) options.aggregate_id_type = parse_aggregate_id_type(*id_type);
      Client client = connect(global);
      {
        // Waiting for another set-up's lock ends on SIGINT or SIGTERM; the
        // migrations run in one transaction, so nothing half is left.
        const CancelOnStop cancel(client.connection());
        try {
          if (stop_requested()) throw Error("interrupted");
          client.setup(options);
        } catch (const Error&) {
          if (stop_requested()) throw Error("interrupted: set-up stopped, the schema is as it was");
          throw;
        }
      }
      std::cout << nlohmann::json{{"schema", "meowmx"},
                                  {"aggregate_id_type", to_string(client.aggregate_id_type())}}
                       .dump()
                << std::endl;
      return 0;
    };
  });
}

}  // namespace meowmx::cli

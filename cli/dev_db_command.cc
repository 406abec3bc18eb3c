#include <iostream>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "meowmx/dev_cluster.h"

namespace meowmx::cli {

void add_dev_db_command(CLI::App& app, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "dev-db", "A local PostgreSQL for development (initdb + pg_ctl, wal_level=logical)");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>(kDefaultDevDir);
  cmd->add_option("--dir", *dir, "Cluster folder")->capture_default_str();
  set_examples(cmd, {"meowmx dev-db start", "export MEOWMX_DSN=$(meowmx dev-db url)",
                     "meowmx dev-db --dir /var/tmp/meowmx-dev/pg stop"});

  auto cluster = [dir] {
    DevClusterOptions options;
    options.dir = *dir;
    return DevCluster(options);
  };
  cmd->add_subcommand("start", "Create (first time) and start the cluster; prints its URL")
      ->callback([&action, cluster] {
        action = [cluster] {
          auto c = cluster();
          c.start();
          std::cout << c.url() << std::endl;
          return 0;
        };
      });
  cmd->add_subcommand("stop", "Stop the cluster (fast shutdown)")->callback([&action, cluster] {
    action = [cluster] {
      cluster().stop();
      return 0;
    };
  });
  cmd->add_subcommand("status", "Say whether the cluster runs, with pid, port and folder")
      ->callback([&action, cluster] {
        action = [cluster] {
          auto c = cluster();
          const auto pid = c.pid();
          std::cout << "state  " << (pid ? "running" : "stopped") << "\n";
          if (pid) {
            std::cout << "pid    " << *pid << "\n"
                      << "url    " << c.url() << "\n";
          }
          std::cout << "dir    " << c.dir().string() << std::endl;
          return pid ? 0 : 1;
        };
      });
  cmd->add_subcommand("url", "Print the connection URL of the running cluster")
      ->callback([&action, cluster] {
        action = [cluster] {
          std::cout << cluster().url() << std::endl;
          return 0;
        };
      });
}

}  // namespace meowmx::cli

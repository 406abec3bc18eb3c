#include <algorithm>
#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>

#include "command.h"
#include "connect.h"
#include "help.h"
#include "json_lines.h"
#include "meowmx/error.h"
#include "meowmx/validation.h"
#include "stop_signal.h"
#include "whole_number_option.h"

namespace meowmx::cli {
namespace {

constexpr std::int64_t kPageSize = 1000;

struct ReadArgs {
  std::vector<std::string> categories;
  std::string after = "0:0";
  std::int64_t limit = -1;
  bool follow = false;
};

// Longest wait between reconnection attempts of read --follow, as for `sub`.
constexpr auto kMaxReconnectBackoff = std::chrono::milliseconds(SubscriptionOptions{}.max_reconnect_backoff);

int run_read(const GlobalOptions& global, const ReadArgs& args) {
  using namespace std::chrono_literals;
  ReadOptions options;
  options.categories = args.categories;
  options.after = Position::parse(args.after);
  for (const auto& category : options.categories) check_name("category", category);
  std::optional<Client> client = connect(global);
  std::int64_t remaining = args.limit;  // -1: no limit
  auto idle_wait = 10ms;
  auto reconnect_wait = 100ms;
  while (remaining != 0 && !stop_requested()) {
    options.limit = remaining < 0 ? kPageSize : std::min(remaining, kPageSize);
    std::vector<RecordedEvent> page;
    try {
      if (!client) client = connect(global);
      page = client->read(options);
      reconnect_wait = 100ms;
    } catch (const ConnectionError& e) {
      // Following survives a server restart: reconnect and go on from the
      // last position printed.
      if (!args.follow) throw;
      spdlog::warn("read --follow: {}; reconnecting in {} ms", e.what(), reconnect_wait.count());
      client.reset();
      if (wait_for_stop(reconnect_wait)) break;
      reconnect_wait = std::min<std::chrono::milliseconds>(reconnect_wait * 2, kMaxReconnectBackoff);
      continue;
    }
    print_events(page);
    if (!page.empty()) {
      options.after = page.back().position();
      if (remaining > 0) remaining -= static_cast<std::int64_t>(page.size());
      idle_wait = 10ms;
      continue;
    }
    if (!args.follow) break;
    // Caught up: poll again, backing off to once a second while idle.
    if (wait_for_stop(idle_wait)) break;
    idle_wait = std::min<std::chrono::milliseconds>(idle_wait * 2, 1000ms);
  }
  return 0;
}

}  // namespace

void add_read_command(CLI::App& app, const GlobalOptions& global, CommandAction& action) {
  auto* cmd = app.add_subcommand(
      "read", "Print the global log (or some categories) in commit-safe order as JSON lines");
  auto args = std::make_shared<ReadArgs>();
  cmd->add_option("--category", args->categories, "Aggregate type(s) to read; repeat or comma-separate")
      ->delimiter(',');
  cmd->add_option("--after", args->after, "Start after this position (an event's \"position\"); default 0:0");
  cmd->add_option("--limit", args->limit, "Print at most this many events")
      ->check(whole_number_from<std::int64_t>(0));
  cmd->add_flag("--follow", args->follow, "Keep waiting for new events until interrupted");
  set_examples(cmd, {"meowmx read --category order --limit 10",
                     "meowmx read --after 725:1 --limit 100",
                     "meowmx read --category order,invoice --follow"});
  cmd->callback([&global, &action, args] { action = [&global, args] { return run_read(global, *args); }; });
}

}  // namespace meowmx::cli

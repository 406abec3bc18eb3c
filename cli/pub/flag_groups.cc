#include "pub/flag_groups.h"

#include <algorithm>
#include <cstdlib>

#include "meowmx/error.h"

namespace meowmx::cli {

std::vector<std::unique_ptr<SourceFlags>> source_flag_groups() {
  std::vector<std::unique_ptr<SourceFlags>> groups;
  groups.push_back(postgres_source_flags());
  groups.push_back(postgres_trigger_source_flags());
  groups.push_back(mysql_source_flags());
  return groups;
}

std::vector<std::unique_ptr<SinkFlags>> sink_flag_groups() {
  std::vector<std::unique_ptr<SinkFlags>> groups;
  groups.push_back(print_sink_flags());
  groups.push_back(zmq_sink_flags());
  groups.push_back(log_sink_flags());
  groups.push_back(redis_sink_flags());
  return groups;
}

bool given_on_command_line(const CLI::Option& option) {
  if (option.count() == 0) return false;
  return option.get_envname().empty() || !std::getenv(option.get_envname().c_str());
}

void refuse_flags_of_groups_not_chosen(const std::vector<GroupChoice>& groups, std::string_view context) {
  std::vector<std::string> shared;
  for (const GroupChoice& choice : groups) {
    if (!choice.chosen) continue;
    shared.insert(shared.end(), choice.shared_flags.begin(), choice.shared_flags.end());
  }
  for (const GroupChoice& choice : groups) {
    if (choice.chosen) continue;
    for (const CLI::Option* option : choice.flags.get_options()) {
      if (given_on_command_line(*option) && std::find(shared.begin(), shared.end(), option->get_name()) == shared.end()) {
        throw InvalidArgument(option->get_name() + " belongs to " + std::string(context) + choice.flags.get_group());
      }
    }
  }
}

}  // namespace meowmx::cli

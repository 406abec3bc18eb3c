#include "pub/flag_groups.h"

#include <cstdlib>

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

}  // namespace meowmx::cli

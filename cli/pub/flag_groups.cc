#include "pub/flag_groups.h"

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

}  // namespace meowmx::cli

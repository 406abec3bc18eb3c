#include "json_lines.h"

#include <cstdio>
#include <string>

namespace meowmx::cli {

void print_json_line(const nlohmann::json& value) {
  // Replace invalid UTF-8 rather than fail half-way through a stream.
  const std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
}

void print_events(const std::vector<RecordedEvent>& events) {
  for (const auto& event : events) {
    const std::string line = json_line(event) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  std::fflush(stdout);
}

}  // namespace meowmx::cli

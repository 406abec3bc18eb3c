#include "replicate/exec_action.h"

#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/child_process.h"
#include "common/json_string.h"
#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::cli {
namespace {

std::string input_lines(const PkBatch& batch) {
  std::string lines;
  for (std::size_t i = 0; i < batch.pks.size(); ++i) {
    lines += R"({"topic":)";
    internal::append_json_string(lines, batch.topic);
    lines += R"(,"event":)";
    internal::append_json_string(lines, batch.events[i]);
    lines += R"(,"pk":)";
    internal::append_json_string(lines, batch.pks[i]);
    lines += R"(,"position":)";
    lines += batch.positions[i].empty() ? "null" : batch.positions[i];
    lines += R"(,"worker":)" + std::to_string(batch.worker) + "}\n";
  }
  return lines;
}

// The failed pks the command named: its last output line that is a JSON
// array of strings (its stderr shares the output, so other lines may be anything).
std::set<std::string> failed_pks(const std::string& output) {
  std::istringstream lines(output);
  std::set<std::string> failed;
  for (std::string line; std::getline(lines, line);) {
    const auto parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_array()) continue;
    bool all_strings = true;
    for (const auto& pk : parsed) all_strings = all_strings && pk.is_string();
    if (all_strings) failed = parsed.get<std::set<std::string>>();
  }
  return failed;
}

}  // namespace

PkBatchAction make_exec_action(const std::string& command) {
  if (command.empty()) throw InvalidArgument("--exec needs a command");
  return [command](const PkBatch& batch) {
    internal::ChildProcess child({"/bin/sh", "-c", command}, {.run_as_user = {},
                                                              .working_dir = {},
                                                              .capture_output = true,
                                                              .output_file = {},
                                                              .input = input_lines(batch)});
    const int status = child.wait();
    if (status != 0) {
      throw Error("--exec command exited with status " + std::to_string(status) + ": " +
                  child.output().substr(0, 200));
    }
    const auto failed = failed_pks(child.output());
    std::vector<bool> succeeded;
    for (const auto& pk : batch.pks) succeeded.push_back(!failed.contains(pk));
    return succeeded;
  };
}

}  // namespace meowmx::cli

// CLI runner: runs the built `meowmx` binary as a user would, capturing
// stdout, stderr and the exit code.
#ifndef MEOWMX_TESTS_SUPPORT_CLI_RUNNER_H_
#define MEOWMX_TESTS_SUPPORT_CLI_RUNNER_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace meowmx::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON lines.
  std::vector<nlohmann::json> json_lines() const;
};

// Runs `meowmx args...` with `input` on stdin.
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "");

// Path of the built meowmx binary.
std::string cli_path();

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_CLI_RUNNER_H_

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

// Runs `meowmx args...` with `input` on stdin until it ends; throws Error
// (with its stderr) when it has not ended within 90 s.
CliResult run_cli(const std::vector<std::string>& args, const std::string& input = "");

// Where a background `meowmx` reads and writes.
struct CliProcessOptions {
  // stdout goes here (e.g. /dev/full) when set, else to a file for out().
  std::string stdout_path = {};
  // stdin is a pipe this object holds open, so the program waits for input
  // until close_stdin(); else it is empty.
  bool open_stdin = false;
};

// `meowmx args...` running in the background; killed and reaped if still
// running when destroyed.
class CliProcess {
 public:
  explicit CliProcess(const std::vector<std::string>& args, const CliProcessOptions& options = {});
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  int pid() const { return pid_; }
  void send_signal(int signal);
  void write_stdin(const std::string& text);
  void close_stdin();
  // What it printed so far.
  std::string out() const;
  std::string err() const;
  // True once it exited (reaped; exit_code() then holds its status).
  bool exited();
  int exit_code() const { return exit_code_; }
  // Waits for the exit and returns what it printed.
  CliResult wait();

 private:
  int pid_ = -1;
  int exit_code_ = -1;
  int stdin_fd_ = -1;
  std::string out_path_;
  std::string err_path_;
};

// Path of the built meowmx binary.
std::string cli_path();

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_CLI_RUNNER_H_

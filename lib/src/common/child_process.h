// ChildProcess: a program run with fork/exec, owned like any other resource:
// if the object goes away before the program exits, the program is killed
// and reaped, so no caller leaks processes.
#ifndef MEOWMX_SRC_COMMON_CHILD_PROCESS_H_
#define MEOWMX_SRC_COMMON_CHILD_PROCESS_H_

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace meowmx::internal {

struct ChildProcessOptions {
  // Run as this system user (needs root), e.g. "postgres"; empty: as we are.
  std::string run_as_user;
  std::filesystem::path working_dir;  // empty: inherit
  // Collect stdout and stderr (merged) for output(); otherwise they go to
  // output_file when one is named, else they are inherited.
  bool capture_output = true;
  std::filesystem::path output_file;  // appended to, created when missing
  // Written to the program's stdin, which is then closed; empty: stdin is inherited.
  std::string input;
};

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const ChildProcessOptions& options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for exit, reading captured output meanwhile. Returns the exit
  // status (128 + signal when killed by a signal).
  int wait();
  // Does not block: the exit status once the program has exited (it is then
  // reaped; wait() must not follow), nullopt while it runs. For programs
  // whose output is not captured.
  std::optional<int> poll();
  const std::string& output() const noexcept { return output_; }
  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::thread input_writer_;  // feeds `input` so a full pipe never blocks us
};

// Runs argv to completion; throws Error with its output when it exits non-zero.
std::string run_or_throw(const std::vector<std::string>& argv, const ChildProcessOptions& options);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_CHILD_PROCESS_H_

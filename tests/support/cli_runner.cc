#include "support/cli_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "meowmx/error.h"

namespace meowmx::testing {
namespace {

constexpr std::chrono::seconds kRunCliTimeout{90};

std::string contents_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Files rather than pipes: no deadlock however much the child writes.
class TempFile {
 public:
  TempFile() {
    char pattern[] = "/tmp/meowmx-cli-XXXXXX";
    fd_ = mkstemp(pattern);
    if (fd_ < 0) throw Error("cannot create a temp file");
    path_ = pattern;
  }
  ~TempFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  std::string contents() const { return contents_of(path_); }
  void write_all(const std::string& text) const {
    std::ofstream(path_) << text;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

// Starts `meowmx args...` with the given descriptors as stdin, stdout and stderr.
pid_t spawn_cli(const std::vector<std::string>& args, int in_fd, int out_fd, int err_fd) {
  std::vector<std::string> argv = {cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot fork");
  if (pid == 0) {
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execv(raw[0], raw.data());
    _exit(127);
  }
  return pid;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

}  // namespace

std::string cli_path() { return MEOWMX_CLI_PATH; }

std::vector<nlohmann::json> CliResult::json_lines() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

CliResult run_cli(const std::vector<std::string>& args, const std::string& input) {
  TempFile in, out, err;
  in.write_all(input);
  lseek(in.fd(), 0, SEEK_SET);
  const pid_t pid = spawn_cli(args, in.fd(), out.fd(), err.fd());
  // A command that should end by itself but hangs fails the test with what
  // it wrote, rather than running into ctest's timeout without a word.
  const auto deadline = std::chrono::steady_clock::now() + kRunCliTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      std::string command = "meowmx";
      for (const auto& arg : args) command += " " + arg;
      throw Error(command + " did not end within " + std::to_string(kRunCliTimeout.count()) +
                  " s; its stderr: " + err.contents());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CliResult result;
  result.exit_code = exit_code_of(status);
  result.out = out.contents();
  result.err = err.contents();
  return result;
}

CliProcess::CliProcess(const std::vector<std::string>& args, const CliProcessOptions& options) {
  char out_pattern[] = "/tmp/meowmx-cli-out-XXXXXX";
  char err_pattern[] = "/tmp/meowmx-cli-err-XXXXXX";
  const int out_fd = options.stdout_path.empty() ? mkstemp(out_pattern)
                                                 : open(options.stdout_path.c_str(), O_WRONLY);
  const int err_fd = mkstemp(err_pattern);
  if (out_fd < 0 || err_fd < 0) throw Error("cannot open the output files of a background meowmx");
  if (options.stdout_path.empty()) out_path_ = out_pattern;
  err_path_ = err_pattern;
  int stdin_pipe[2] = {-1, -1};
  if (options.open_stdin && pipe(stdin_pipe) != 0) throw Error("cannot create a pipe");
  const int in_fd = options.open_stdin ? stdin_pipe[0] : open("/dev/null", O_RDONLY);
  if (options.open_stdin) fcntl(stdin_pipe[1], F_SETFD, FD_CLOEXEC);  // the child holds only its end
  pid_ = spawn_cli(args, in_fd, out_fd, err_fd);
  close(in_fd);
  close(out_fd);
  close(err_fd);
  stdin_fd_ = stdin_pipe[1];
}

CliProcess::~CliProcess() {
  close_stdin();
  if (!exited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!out_path_.empty()) unlink(out_path_.c_str());
  unlink(err_path_.c_str());
}

void CliProcess::send_signal(int signal) { kill(pid_, signal); }

void CliProcess::write_stdin(const std::string& text) {
  if (write(stdin_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw Error("cannot write to a background meowmx");
  }
}

void CliProcess::close_stdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

std::string CliProcess::out() const { return out_path_.empty() ? "" : contents_of(out_path_); }

std::string CliProcess::err() const { return contents_of(err_path_); }

bool CliProcess::exited() {
  if (exit_code_ >= 0) return true;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exit_code_ = exit_code_of(status);
  return true;
}

CliResult CliProcess::wait() {
  if (exit_code_ < 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_code_ = exit_code_of(status);
  }
  return CliResult{exit_code_, out(), err()};
}

}  // namespace meowmx::testing

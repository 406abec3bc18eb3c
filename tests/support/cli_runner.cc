#include "support/cli_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "meowmx/error.h"

namespace meowmx::testing {
namespace {

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
  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  void write_all(const std::string& text) const {
    std::ofstream(path_) << text;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

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
  std::vector<std::string> argv = {cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);

  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw Error("cannot fork");
  if (pid == 0) {
    dup2(in.fd(), STDIN_FILENO);
    lseek(STDIN_FILENO, 0, SEEK_SET);
    dup2(out.fd(), STDOUT_FILENO);
    dup2(err.fd(), STDERR_FILENO);
    execv(raw[0], raw.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = out.contents();
  result.err = err.contents();
  return result;
}

}  // namespace meowmx::testing

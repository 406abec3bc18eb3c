#include "common/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// Who the child runs as, looked up before fork(): getpwnam() and the group
// database are not async-signal-safe.
struct Identity {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

Identity identity_of(const std::string& name) {
  const passwd* user = getpwnam(name.c_str());
  if (!user) throw Error("system user '" + name + "' does not exist");
  Identity identity{user->pw_uid, user->pw_gid, std::vector<gid_t>(16)};
  int count = static_cast<int>(identity.groups.size());
  while (getgrouplist(user->pw_name, user->pw_gid, identity.groups.data(), &count) < 0) {
    identity.groups.resize(static_cast<std::size_t>(count));
  }
  identity.groups.resize(static_cast<std::size_t>(count));
  return identity;
}

// Runs in the forked child before exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const std::vector<char*>& argv, const Identity* user, const char* dir,
                             int input_fd, int output_fd) {
  if (input_fd >= 0) {
    dup2(input_fd, STDIN_FILENO);
    close(input_fd);
  }
  if (output_fd >= 0) {
    dup2(output_fd, STDOUT_FILENO);
    dup2(output_fd, STDERR_FILENO);
    close(output_fd);
  }
  if (user && (setgroups(user->groups.size(), user->groups.data()) != 0 || setgid(user->gid) != 0 ||
               setuid(user->uid) != 0)) {
    const char message[] = "cannot switch user\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
    _exit(126);
  }
  if (dir && chdir(dir) != 0) _exit(126);
  execvp(argv[0], argv.data());
  const char message[] = "cannot execute program\n";
  (void)!write(STDERR_FILENO, message, sizeof message - 1);
  _exit(127);
}

// Writes all of `input` to fd and closes it. SIGPIPE is blocked in this
// thread, so a program that exits without reading gives EPIPE, not death.
void feed(int fd, std::string input) {
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  std::size_t written = 0;
  while (written < input.size()) {
    const ssize_t n = write(fd, input.data() + written, input.size() - written);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      break;
    }
  }
  close(fd);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildProcessOptions& options) {
  std::optional<Identity> user;
  if (!options.run_as_user.empty()) user = identity_of(options.run_as_user);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const std::string dir = options.working_dir.string();

  int fds[2] = {-1, -1};
  int in_fds[2] = {-1, -1};
  if ((options.capture_output && pipe2(fds, O_CLOEXEC) != 0) ||
      (!options.input.empty() && pipe2(in_fds, O_CLOEXEC) != 0)) {
    throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  if (!options.capture_output && !options.output_file.empty()) {
    fds[1] = open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fds[1] < 0) throw Error("cannot open " + options.output_file.string() + ": " + std::strerror(errno));
  }
  pid_ = fork();
  if (pid_ < 0) throw Error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid_ == 0) exec_child(args, user ? &*user : nullptr, dir.empty() ? nullptr : dir.c_str(), in_fds[0], fds[1]);
  if (options.capture_output) output_fd_ = fds[0];
  if (fds[1] >= 0) close(fds[1]);
  if (!options.input.empty()) {
    close(in_fds[0]);
    input_writer_ = std::thread(feed, in_fds[1], options.input);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (input_writer_.joinable()) input_writer_.join();
  if (output_fd_ >= 0) close(output_fd_);
}

int ChildProcess::wait() {
  if (output_fd_ >= 0) {
    char buffer[4096];
    for (;;) {
      const ssize_t n = read(output_fd_, buffer, sizeof buffer);
      if (n > 0) {
        output_.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    close(output_fd_);
    output_fd_ = -1;
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (input_writer_.joinable()) input_writer_.join();
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::optional<int> ChildProcess::poll() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t reaped;
  while ((reaped = waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (reaped != pid_) return std::nullopt;
  pid_ = -1;
  if (input_writer_.joinable()) input_writer_.join();
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::string run_or_throw(const std::vector<std::string>& argv, const ChildProcessOptions& options) {
  ChildProcess child(argv, options);
  const int status = child.wait();
  if (status != 0) {
    std::string output = child.output();
    while (!output.empty() && output.back() == '\n') output.pop_back();
    throw Error(argv[0] + " failed (exit " + std::to_string(status) + "): " + output);
  }
  return child.output();
}

}  // namespace meowmx::internal

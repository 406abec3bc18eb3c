#include "support/servers/server_process.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <fstream>
#include <thread>

#include "common/child_process.h"
#include "common/loopback_port.h"
#include "meowmx/error.h"

namespace meowmx::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

int free_loopback_port() { return internal::free_loopback_port(); }

std::string server_user(const std::string& debian_user) {
  if (geteuid() != 0) return "";
  if (!getpwnam(debian_user.c_str())) {
    throw Error("running the tests as root needs the '" + debian_user +
                "' system user, which the server's Debian package creates");
  }
  return debian_user;
}

void give_to_user(const fs::path& path, const std::string& user) {
  if (user.empty()) return;
  const passwd* entry = getpwnam(user.c_str());
  if (!entry || chown(path.c_str(), entry->pw_uid, entry->pw_gid) != 0) {
    throw Error("cannot hand " + path.string() + " to the " + user + " user");
  }
}

ServerProcess::ServerProcess(ServerProcessOptions options) : options_(std::move(options)) { start(); }

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (const std::exception&) {
    // The child's own destructor still kills and reaps it.
  }
}

void ServerProcess::start() {
  if (running()) return;
  internal::ChildProcessOptions child;
  child.run_as_user = options_.run_as_user;
  child.working_dir = options_.working_dir;
  child.capture_output = false;
  child.output_file = options_.log_file;
  child_ = std::make_unique<internal::ChildProcess>(options_.argv, child);
}

void ServerProcess::stop(std::chrono::seconds grace) {
  if (!running()) return;
  ::kill(child_->pid(), SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill();
      return;
    }
    std::this_thread::sleep_for(10ms);  // a server's shutdown gives no descriptor to wait on
  }
}

void ServerProcess::kill() {
  if (!running()) return;
  ::kill(child_->pid(), SIGKILL);
  child_->wait();
  child_.reset();
}

bool ServerProcess::running() {
  if (!child_) return false;
  if (child_->poll()) child_.reset();
  return child_ != nullptr;
}

std::optional<pid_t> ServerProcess::pid() {
  if (!running()) return std::nullopt;
  return child_->pid();
}

void ServerProcess::wait_until_ready(const std::function<bool()>& ready, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ready()) return;
    if (!running()) throw Error(options_.name + " exited while starting:\n" + log_tail());
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error(options_.name + " did not become ready within " + std::to_string(timeout.count()) + " s:\n" +
                  log_tail());
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::string ServerProcess::log_tail(int lines) const {
  std::ifstream in(options_.log_file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const auto& line : last) text += line + "\n";
  return text;
}

}  // namespace meowmx::testing

#include "meowmx/dev_cluster.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "common/child_process.h"
#include "common/loopback_port.h"
#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx {
namespace fs = std::filesystem;
namespace {

// initdb refuses to run as root, so root runs the cluster as Debian's postgres user.
std::string server_user() { return geteuid() == 0 ? "postgres" : ""; }

// The port of the last start, kept so that a restarted cluster keeps its URL
// and clients can reconnect; a new one only when that port got taken.
int choose_port(const fs::path& dir) {
  const fs::path file = dir / "meowmx.port";
  int previous = 0;
  std::ifstream(file) >> previous;
  const int port = previous > 0 && internal::loopback_port_free(previous) ? previous : internal::free_loopback_port();
  if (port != previous) std::ofstream(file) << port << "\n";
  return port;
}

// postmaster.pid: line 1 the pid, line 4 the port.
std::vector<std::string> pid_file_lines(const fs::path& dir) {
  std::ifstream in(dir / "postmaster.pid");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// What /proc/<pid>/stat says of a process: its state and process group;
// nullopt when it is gone.
struct ProcessStat {
  char state = 0;
  int process_group = 0;
};
std::optional<ProcessStat> read_stat(const fs::path& proc_dir) {
  std::ifstream stat(proc_dir / "stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));
  ProcessStat result;
  int parent = 0;
  fields >> result.state >> parent >> result.process_group;
  return result;
}

// A zombie counts as gone: the postmaster is not our child, and in a container
// nobody may reap it.
bool process_alive(int pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  const auto stat = read_stat("/proc/" + std::to_string(pid));
  return !stat || stat->state != 'Z';
}

// The live (not zombie) processes for which `matches(proc_dir, stat)` holds.
template <typename Matches>
std::vector<int> live_processes(Matches matches) {
  std::vector<int> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_stat(entry.path());
    if (stat && stat->state != 'Z' && matches(entry.path(), *stat)) pids.push_back(std::stoi(name));
  }
  return pids;
}

bool group_alive(int group) {
  return !live_processes([group](const fs::path&, const ProcessStat& stat) { return stat.process_group == group; })
              .empty();
}

// The live processes working in `dir`: every PostgreSQL process of a cluster
// runs with its data directory as the working directory, also a backend
// that a group kill missed (forked at that instant) and that keeps the
// shared memory until it notices its postmaster is gone.
std::vector<int> processes_in(const fs::path& dir) {
  std::error_code error;
  const fs::path wanted = fs::canonical(dir, error);
  if (error) return {};
  return live_processes([&wanted](const fs::path& proc_dir, const ProcessStat&) {
    std::error_code unreadable;
    return fs::read_symlink(proc_dir / "cwd", unreadable) == wanted && !unreadable;
  });
}

template <typename Alive>
void wait_until_gone(int pid, Alive alive) {
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error("PostgreSQL (pid " + std::to_string(pid) + ") did not stop within 60 s");
    }
    std::this_thread::sleep_for(10ms);
  }
}

void give_to_server_user(const fs::path& dir) {
  const std::string user = server_user();
  if (user.empty()) return;
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) throw Error("running as root needs the '" + user + "' system user (apt-get install postgresql)");
  if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw Error("cannot hand " + dir.string() + " to the " + user + " user");
  }
}

}  // namespace

DevCluster::DevCluster(DevClusterOptions options) : options_(std::move(options)) {
  options_.dir = fs::absolute(options_.dir);
}

DevCluster::~DevCluster() {
  if (!options_.stop_on_destroy) return;
  try {
    stop();
  } catch (const std::exception& e) {
    internal::logger().error("stopping the dev cluster in {}: {}", options_.dir.string(), e.what());
  }
}

fs::path DevCluster::find_bin_dir() {
  try {
    internal::ChildProcessOptions quiet;
    std::string out = internal::run_or_throw({"pg_config", "--bindir"}, quiet);
    out.erase(out.find_last_not_of("\n ") + 1);
    if (fs::exists(fs::path(out) / "initdb")) return out;
  } catch (const Error&) {
    // No pg_config on PATH: look where Debian installs the server.
  }
  std::vector<fs::path> candidates;
  if (fs::is_directory("/usr/lib/postgresql")) {
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
      if (fs::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
    }
  }
  if (candidates.empty()) {
    throw Error("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql");
  }
  // Newest major version: compare numerically so 15 beats 9.6.
  return *std::max_element(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::stod(a.parent_path().filename().string()) < std::stod(b.parent_path().filename().string());
  });
}

std::optional<int> DevCluster::pid() const {
  const auto lines = pid_file_lines(options_.dir);
  if (lines.empty()) return std::nullopt;
  const int pid = std::atoi(lines[0].c_str());
  if (!process_alive(pid)) return std::nullopt;
  return pid;
}

bool DevCluster::running() const { return pid().has_value(); }

std::optional<int> DevCluster::port() const {
  const auto lines = pid_file_lines(options_.dir);
  if (lines.size() < 4 || !running()) return std::nullopt;
  return std::atoi(lines[3].c_str());
}

std::string DevCluster::url() const {
  const auto p = port();
  if (!p) throw Error("the dev cluster in " + options_.dir.string() + " is not running: meowmx dev-db start");
  return "postgresql://postgres@127.0.0.1:" + std::to_string(*p) + "/postgres";
}

void DevCluster::start() {
  if (running()) return;
  const fs::path bin = find_bin_dir();
  internal::ChildProcessOptions as_server;
  as_server.run_as_user = server_user();
  as_server.working_dir = options_.dir;

  if (!fs::exists(options_.dir / "PG_VERSION")) {
    fs::create_directories(options_.dir);
    fs::permissions(options_.dir, fs::perms::owner_all, fs::perm_options::replace);
    give_to_server_user(options_.dir);
    internal::logger().info("creating a PostgreSQL cluster in {}", options_.dir.string());
    internal::run_or_throw({(bin / "initdb").string(), "-D", options_.dir.string(), "-U", "postgres",
                            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"},
                           as_server);
    std::ofstream conf(options_.dir / "postgresql.conf", std::ios::app);
    conf << "\n# added by meowmx dev-db\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = ''\n"
         << "wal_level = logical\n"
         << "max_wal_senders = 20\n"
         << "max_replication_slots = 20\n"
         << "max_connections = 200\n";
    for (const auto& line : options_.settings) conf << line << "\n";
  }
  const int port = options_.port ? options_.port : choose_port(options_.dir);
  internal::logger().info("starting PostgreSQL on 127.0.0.1:{}", port);
  try {
    internal::run_or_throw({(bin / "pg_ctl").string(), "start", "-w", "-t", "120", "-D",
                            options_.dir.string(), "-l", (options_.dir / "server.log").string(),
                            "-o", "-p " + std::to_string(port)},
                           as_server);
  } catch (const Error& e) {
    // The log's last lines say why (a taken port, a bad setting): quote
    // them, since a throwaway cluster's folder goes away with it.
    std::ifstream log(options_.dir / "server.log");
    std::vector<std::string> last;
    for (std::string line; std::getline(log, line);) {
      last.push_back(line);
      if (last.size() > 5) last.erase(last.begin());
    }
    std::string tail;
    for (const auto& line : last) tail += "\n  " + line;
    throw Error(std::string(e.what()) + " (see " + (options_.dir / "server.log").string() + ")" + tail);
  }
}

void DevCluster::stop() {
  const auto p = pid();
  if (!p) return;
  ::kill(*p, SIGINT);  // fast shutdown: roll back sessions, checkpoint, exit
  wait_until_gone(*p, process_alive);
}

void DevCluster::kill() {
  const auto p = pid();
  if (!p) return;
  // pg_ctl makes the postmaster a session leader: kill the whole group so no
  // orphaned backend keeps the shared memory and blocks the next start.
  ::kill(-*p, SIGKILL);
  ::kill(*p, SIGKILL);
  wait_until_gone(*p, group_alive);
  for (const int straggler : processes_in(options_.dir)) ::kill(straggler, SIGKILL);
  wait_until_gone(0, [this](int) { return !processes_in(options_.dir).empty(); });
  // A killed postmaster may stay a zombie until PID 1 reaps it, and its
  // postmaster.pid would name a live-looking process: PostgreSQL refuses to
  // start over such a lock file. Every process of the server is gone now.
  fs::remove(options_.dir / "postmaster.pid");
}

}  // namespace meowmx

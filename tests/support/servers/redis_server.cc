#include "support/servers/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

namespace meowmx::testing {
namespace {

// Whether the server answers PING with +PONG (or asks for AUTH: it is up).
bool answers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool up = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    constexpr std::string_view kPing = "PING\r\n";
    char reply[64] = {};
    if (write(fd, kPing.data(), kPing.size()) == static_cast<ssize_t>(kPing.size()) &&
        read(fd, reply, sizeof reply - 1) > 0) {
      const std::string_view text(reply);
      up = text.starts_with("+PONG") || text.starts_with("-NOAUTH");
    }
  }
  close(fd);
  return up;
}

}  // namespace

RedisServer::RedisServer(const RedisServerOptions& options)
    : options_(options), dir_("meowmx-redis"), port_(free_loopback_port()) {
  const std::string user = server_user("redis");
  const auto data = dir_.path() / "data";
  std::filesystem::create_directory(data);
  give_to_user(data, user);
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--save", "", "--dir", data.string(), "--daemonize", "no"};
  if (options_.appendonly) {
    for (const char* arg : {"--appendonly", "yes", "--appendfsync", "always"}) argv.emplace_back(arg);
  }
  if (!options_.password.empty()) {
    argv.emplace_back("--requirepass");
    argv.push_back(options_.password);
  }
  process_ = std::make_unique<ServerProcess>(ServerProcessOptions{
      .name = "redis-server", .argv = argv, .run_as_user = user, .log_file = dir_.path() / "redis.log", .working_dir = {}});
  process_->wait_until_ready([this] { return answers(port_); });
}

void RedisServer::start() {
  process_->start();
  process_->wait_until_ready([this] { return answers(port_); });
}

std::string RedisServer::url() const {
  const std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
}

RedisServer& binary_redis_server() {
  static RedisServer server({.appendonly = true, .password = ""});
  return server;
}

}  // namespace meowmx::testing

#include "common/waker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "meowmx/error.h"

namespace meowmx::internal {

Waker::Waker() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw Error(std::string("eventfd failed: ") + std::strerror(errno));
}

Waker::~Waker() { close(fd_); }

void Waker::wake() {
  woken_ = true;
  const std::uint64_t one = 1;
  // Only fails when the counter would overflow, i.e. when already readable.
  [[maybe_unused]] const auto written = write(fd_, &one, sizeof one);
}

bool Waker::wait_for(std::chrono::milliseconds timeout) const {
  pollfd fds{fd_, POLLIN, 0};
  if (!woken_) poll(&fds, 1, static_cast<int>(timeout.count()));
  return woken_;
}

bool wait_for_socket(int fd, const Waker* waker, std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {waker ? waker->fd() : -1, POLLIN, 0}};
  const int ready = poll(fds, waker ? 2 : 1, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
  if (ready < 0 && errno != EINTR) throw Error(std::string("poll failed: ") + std::strerror(errno));
  return ready > 0 && fds[0].revents != 0;
}

}  // namespace meowmx::internal

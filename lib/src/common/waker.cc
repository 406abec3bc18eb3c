#include "common/waker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iterator>
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

void Waker::clear() {
  woken_ = false;
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read_bytes = read(fd_, &count, sizeof count);
}

bool Waker::wait_for(std::chrono::milliseconds timeout) const {
  pollfd fds{fd_, POLLIN, 0};
  if (!woken_) poll(&fds, 1, static_cast<int>(timeout.count()));
  return woken_;
}

bool wait_for_socket(int fd, std::initializer_list<const Waker*> wakers, std::chrono::milliseconds timeout) {
  pollfd fds[4] = {{fd, POLLIN, 0}};
  nfds_t count = 1;
  for (const Waker* waker : wakers) {
    if (waker && count < std::size(fds)) fds[count++] = {waker->fd(), POLLIN, 0};
  }
  const int ready = poll(fds, count, static_cast<int>(std::max<std::int64_t>(timeout.count(), 0)));
  if (ready < 0 && errno != EINTR) throw Error(std::string("poll failed: ") + std::strerror(errno));
  return ready > 0 && fds[0].revents != 0;
}

}  // namespace meowmx::internal

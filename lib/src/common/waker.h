// Waker: how Pub::stop() reaches a source blocked in poll(): an eventfd that
// the source polls beside its database socket. A waker used for events that
// recur (the pipeline's progress) is cleared after each.
#ifndef MEOWMX_SRC_COMMON_WAKER_H_
#define MEOWMX_SRC_COMMON_WAKER_H_

#include <atomic>
#include <chrono>
#include <initializer_list>

namespace meowmx::internal {

class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  // From any thread; stays woken until clear().
  void wake();
  // Forgets the wake-ups so far.
  void clear();
  bool woken() const noexcept { return woken_; }
  // Readable once woken: poll() it beside other descriptors.
  int fd() const noexcept { return fd_; }
  // Sleeps up to `timeout`; true when woken.
  bool wait_for(std::chrono::milliseconds timeout) const;

 private:
  int fd_ = -1;
  std::atomic<bool> woken_{false};
};

// Waits until `fd` is readable, one of the wakers (null ones are ignored)
// fires, or `timeout` passes. Returns true when `fd` is ready. Throws Error
// when poll() fails.
bool wait_for_socket(int fd, std::initializer_list<const Waker*> wakers, std::chrono::milliseconds timeout);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_WAKER_H_

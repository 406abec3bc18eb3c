// Backoff: the waits between attempts at something that fails for a while
// (a lost connection, a busy slot): doubling from `first` up to `most`, and
// back to `first` after a success.
#ifndef MEOWMX_SRC_COMMON_BACKOFF_H_
#define MEOWMX_SRC_COMMON_BACKOFF_H_

#include <algorithm>
#include <chrono>

namespace meowmx::internal {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds most) : first_(first), most_(most), next_(first) {}

  // The wait before the next attempt; the one after it is twice as long.
  std::chrono::milliseconds next() {
    const auto wait = next_;
    next_ = std::min(next_ * 2, most_);
    return wait;
  }
  void reset() { next_ = first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds most_;
  std::chrono::milliseconds next_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_BACKOFF_H_

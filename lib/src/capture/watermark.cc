#include "capture/watermark.h"

namespace meowmx::internal {

void Watermark::add(std::uint64_t sequence, const TransactionPosition& position) {
  std::lock_guard lock(mutex_);
  if (sinks_ == 0) {
    if (pending_.empty()) low_ = position;
    return;
  }
  pending_.emplace(sequence, Pending{position, std::vector<bool>(sinks_, false), sinks_});
}

bool Watermark::mark(std::size_t sink, std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(sequence);
  if (it == pending_.end() || sink >= sinks_ || it->second.marked[sink]) return false;
  it->second.marked[sink] = true;
  --it->second.missing;
  bool moved = false;
  while (!pending_.empty() && pending_.begin()->second.missing == 0) {
    low_ = pending_.begin()->second.position;
    pending_.erase(pending_.begin());
    moved = true;
  }
  return moved;
}

std::optional<TransactionPosition> Watermark::low() const {
  std::lock_guard lock(mutex_);
  return low_;
}

bool Watermark::complete() const {
  std::lock_guard lock(mutex_);
  return pending_.empty();
}

}  // namespace meowmx::internal

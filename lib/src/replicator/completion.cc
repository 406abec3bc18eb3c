#include "replicator/completion.h"

#include <vector>

namespace meowmx::internal {

void Completion::add(Token token) {
  if (token == 0) return;
  std::lock_guard lock(mutex_);
  ++counts_[token].outstanding;
}

bool Completion::seal(Token token) {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(token);
  if (it == counts_.end()) return true;
  if (it->second.outstanding == 0) {
    counts_.erase(it);
    return true;
  }
  it->second.sealed = true;
  return false;
}

void Completion::abandon(Token token) {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(token);
  if (it == counts_.end()) return;
  if (it->second.outstanding == 0) {
    counts_.erase(it);
  } else {
    it->second.abandoned = true;
  }
}

void Completion::release(const TokenCounts& tokens) {
  std::vector<Token> done;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [token, n] : tokens.counts) {
      const auto it = counts_.find(token);
      if (it == counts_.end()) continue;
      it->second.outstanding -= n;
      if (it->second.outstanding > 0) continue;
      // Reaching zero before the seal: the token's last pks are still to come.
      if (!it->second.sealed && !it->second.abandoned) continue;
      if (it->second.sealed && !it->second.abandoned) done.push_back(token);
      counts_.erase(it);
    }
  }
  for (const Token token : done) on_done_(token);
}

}  // namespace meowmx::internal

#include "replicator/pk_queue.h"

#include <algorithm>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

// `later` is the more recent occurrence of the same key.
void adopt(PkEntry& later, PkEntry& into) {
  into.tokens.merge(later.tokens);
  into.event = std::move(later.event);
  into.position = std::move(later.position);
  into.arrival = later.arrival;
}

}  // namespace

void TokenCounts::add(Token token, std::size_t n) {
  if (!counts.empty() && counts.back().first == token) {
    counts.back().second += n;
    return;
  }
  counts.emplace_back(token, n);
}

void TokenCounts::merge(const TokenCounts& other) {
  for (const auto& [token, n] : other.counts) add(token, n);
}

PkQueue::PkQueue(std::size_t limit) : limit_(limit) {
  if (limit == 0) throw InvalidArgument("the queue limit must be positive");
}

bool PkQueue::has_room_for(const std::string& key) const {
  return size() < limit_ || held_.contains(key) || occurrences_.contains(key);
}

void PkQueue::push(PkEntry change, Token token) {
  change.tokens = {};
  change.tokens.add(token);
  if (const auto held = held_.find(change.key); held != held_.end()) {
    PkEntry& entry = held->second.entry;
    entry.event = std::move(change.event);
    entry.position = std::move(change.position);
    entry.tokens.merge(change.tokens);
    return;
  }
  change.arrival = ++arrivals_;
  if (size() >= limit_) {
    // Folding: the key's earlier occurrences join this one, at the back.
    if (const auto it = occurrences_.find(change.key); it != occurrences_.end()) {
      folded_ += it->second.size();
      PkEntry latest = std::move(change);
      change = PkEntry{};
      change.key = latest.key;
      change.pk = latest.pk;
      absorb(latest.key, change);
      adopt(latest, change);
    }
  }
  const std::string key = change.key;
  queue_.push_back(std::move(change));
  occurrences_[key].push_back(std::prev(queue_.end()));
}

void PkQueue::absorb(const std::string& key, PkEntry& into) {
  const auto it = occurrences_.find(key);
  if (it == occurrences_.end()) return;
  for (const auto& occurrence : it->second) {
    adopt(*occurrence, into);
    queue_.erase(occurrence);
  }
  occurrences_.erase(it);
}

std::vector<PkEntry> PkQueue::take(std::size_t batch, Clock::time_point now) {
  std::vector<PkEntry> taken;
  for (auto it = held_.begin(); it != held_.end() && taken.size() < batch;) {
    if (it->second.due <= now) {
      taken.push_back(std::move(it->second.entry));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
  // The latest occurrence of each pk decides its place in the batch.
  std::vector<PkEntry> from_queue;
  while (!queue_.empty() && taken.size() + from_queue.size() < batch) {
    const PkEntry& front = queue_.front();
    PkEntry entry;
    entry.key = front.key;
    entry.pk = front.pk;
    absorb(entry.key, entry);
    from_queue.push_back(std::move(entry));
  }
  std::sort(from_queue.begin(), from_queue.end(), [](const PkEntry& a, const PkEntry& b) { return a.arrival < b.arrival; });
  for (auto& entry : from_queue) taken.push_back(std::move(entry));
  return taken;
}

void PkQueue::hold(PkEntry entry, Clock::time_point due) {
  absorb(entry.key, entry);
  const std::string key = entry.key;
  held_.insert_or_assign(key, Held{std::move(entry), due});
}

std::optional<Clock::time_point> PkQueue::next_due() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [pk, held] : held_) {
    if (!earliest || held.due < *earliest) earliest = held.due;
  }
  return earliest;
}

}  // namespace meowmx::internal

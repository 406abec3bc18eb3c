#include "replicator/dispatch.h"

#include <array>

#include "meowmx/error.h"

namespace meowmx::internal {

std::string_view event_stem(std::string_view event) {
  static constexpr std::array<std::string_view, 4> kSuffixes = {"_write", "_update", "_delete", "_truncate"};
  for (const std::string_view suffix : kSuffixes) {
    if (event.size() > suffix.size() && event.ends_with(suffix)) return event.substr(0, event.size() - suffix.size());
  }
  return event;
}

const std::vector<TopicWorkers*>& Dispatch::topics_of(std::string_view event) {
  std::lock_guard lock(mutex_);
  auto it = matching_.find(std::string(event));
  if (it == matching_.end()) {
    std::vector<TopicWorkers*> matching;
    for (const auto& topic : topics_) {
      if (topic->matches(event)) matching.push_back(topic.get());
    }
    it = matching_.emplace(std::string(event), std::move(matching)).first;
  }
  return it->second;  // entries are never removed: the reference stays valid
}

bool Dispatch::wants(std::string_view event) { return !topics_of(event).empty(); }

void Dispatch::route(const std::string& event, const std::string& pk, const std::string& position, Token token) {
  // The unit separator cannot occur in an event stem (names with control
  // characters are written as JSON strings), so the key is unambiguous.
  const std::string key = std::string(event_stem(event)) + '\x1f' + pk;
  for (TopicWorkers* topic : topics_of(event)) {
    PkEntry change;
    change.key = key;
    change.event = event;
    change.pk = pk;
    change.position = position;
    pending_[topic].push_back({std::move(change), token});
    ++pending_changes_;
  }
  if (pending_changes_ >= kFlushChanges) flush();
}

void Dispatch::flush() {
  // Counted before any is queued: a worker may finish one at once.
  for (const auto& [topic, changes] : pending_) {
    for (const auto& change : changes) completion_.add(change.token);
  }
  for (auto& [topic, changes] : pending_) {
    if (!topic->push(changes)) throw Error("replicator: the workers stopped");
    changes.clear();
  }
  pending_changes_ = 0;
}

}  // namespace meowmx::internal

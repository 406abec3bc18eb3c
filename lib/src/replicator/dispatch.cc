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

bool Dispatch::wants(std::string_view event) const {
  for (const auto& topic : topics_) {
    if (topic->matches(event)) return true;
  }
  return false;
}

void Dispatch::route(const std::string& event, const std::string& pk, const std::string& position, Token token) {
  // The unit separator cannot occur in an event stem (names with control
  // characters are written as JSON strings), so the key is unambiguous.
  const std::string key = std::string(event_stem(event)) + '\x1f' + pk;
  for (const auto& topic : topics_) {
    if (!topic->matches(event)) continue;
    completion_.add(token);
    PkEntry change;
    change.key = key;
    change.event = event;
    change.pk = pk;
    change.position = position;
    if (!topic->push(std::move(change), token)) {
      throw Error("replicator: the workers stopped");
    }
  }
}

}  // namespace meowmx::internal

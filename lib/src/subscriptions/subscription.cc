#include "meowmx/subscription.h"

namespace meowmx {

BatchHandler for_each_event(std::function<void(const RecordedEvent&, pqxx::work&)> handler) {
  return [handler = std::move(handler)](const std::vector<RecordedEvent>& batch, pqxx::work& tx) {
    for (const auto& event : batch) handler(event, tx);
  };
}

}  // namespace meowmx

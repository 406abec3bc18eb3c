#include "capture/sink_base.h"

#include "meowmx/capture/change_event.h"
#include "capture/postgres/identifiers.h"

namespace meowmx::internal {

void SinkBase::on_changes(SignalBus& bus, const std::vector<std::string>& tables, bool raw,
                          ChangeHandler handler) {
  for (const auto& table : parse_tables(tables)) {
    for (auto action : {ChangeAction::kWrite, ChangeAction::kUpdate, ChangeAction::kDelete,
                        ChangeAction::kTruncate}) {
      std::string name = table.signal_prefix() + "_" + std::string(to_string(action));
      Signal& signal = bus.signal(raw ? name + "_raw" : name);
      connections_.emplace_back(signal.connect(
          [handler, name](const nlohmann::json& payload) { handler(name, payload); }));
    }
  }
}

void SinkBase::on_position(SignalBus& bus, SignalHandler handler) {
  connections_.emplace_back(bus.signal(kPositionSignal).connect(std::move(handler)));
}

}  // namespace meowmx::internal

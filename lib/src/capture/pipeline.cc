#include "capture/pipeline.h"

namespace meowmx::internal {

Pipeline::Pipeline(SignalBus& bus, const std::vector<TableName>& tables)
    : position_(&bus.signal(kPositionSignal)) {
  for (const auto& table : tables) {
    Routes& routes = routes_[table.signal_prefix()];
    for (auto action : {ChangeAction::kWrite, ChangeAction::kUpdate, ChangeAction::kDelete,
                        ChangeAction::kTruncate}) {
      const std::string name = table.signal_prefix() + "_" + std::string(to_string(action));
      routes[static_cast<std::size_t>(action)] = {&bus.signal(name), &bus.signal(name + "_raw")};
    }
  }
}

const Pipeline::Routes* Pipeline::routes(std::string_view table) const {
  auto it = routes_.find(table);
  return it == routes_.end() ? nullptr : &it->second;
}

bool Pipeline::follows(std::string_view table) const { return routes(table) != nullptr; }

bool Pipeline::wants_rows(std::string_view table, ChangeAction action) const {
  const Routes* table_routes = routes(table);
  return table_routes && (*table_routes)[static_cast<std::size_t>(action)].raw->has_receivers();
}

void Pipeline::change(const ChangeEvent& event) {
  const Routes* table_routes = routes(event.table);
  if (!table_routes) return;
  const Route& route = (*table_routes)[static_cast<std::size_t>(event.action)];
  if (route.plain->has_receivers()) route.plain->send(event.pk);
  if (route.raw->has_receivers()) route.raw->send(nlohmann::json(event));
  ++changes_;
}

void Pipeline::commit(nlohmann::json position) {
  position["changes"] = changes_;
  changes_ = 0;
  position_->send(position);
}

}  // namespace meowmx::internal

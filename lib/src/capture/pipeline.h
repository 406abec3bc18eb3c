// Pipeline: the one path from every source to the signal bus. Sources hand
// it changes and transaction ends; it keeps only the tables asked for, names
// the signals and builds payloads only for signals somebody receives.
#ifndef MEOWMX_SRC_CAPTURE_PIPELINE_H_
#define MEOWMX_SRC_CAPTURE_PIPELINE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "meowmx/capture/change_event.h"
#include "meowmx/capture/signal.h"
#include "capture/postgres/identifiers.h"

namespace meowmx::internal {

class Pipeline {
 public:
  Pipeline(SignalBus& bus, const std::vector<TableName>& tables);

  // Whether changes of this table (its signal prefix) are wanted.
  bool follows(std::string_view table) const;
  // Whether anybody receives the raw events of this table and action, i.e.
  // whether a source has to decode whole rows and positions rather than only
  // the key (most of its work when somebody only wants keys).
  bool wants_rows(std::string_view table, ChangeAction action) const;

  // Sends `<table>_<action>` with the key and `<table>_<action>_raw` with the
  // event, when the table is followed.
  void change(const ChangeEvent& event);

  // Ends a source transaction: sends the position signal with `position`
  // plus "changes", the number of changes sent since the last commit. When it
  // returns, every receiver has the transaction and the source may
  // acknowledge it.
  void commit(nlohmann::json position);

 private:
  struct Route {
    Signal* plain = nullptr;
    Signal* raw = nullptr;
  };
  using Routes = std::array<Route, 4>;  // indexed by ChangeAction
  // Lets find() take a string_view: no string is built per change.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
  };

  const Routes* routes(std::string_view table) const;

  std::unordered_map<std::string, Routes, NameHash, std::equal_to<>> routes_;
  Signal* position_;
  std::int64_t changes_ = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_PIPELINE_H_

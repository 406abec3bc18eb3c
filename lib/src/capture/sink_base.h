// SinkBase: what every stock sink shares: connecting to the change signals of
// its tables and to the position signal, and staying connected while alive.
#ifndef MEOWMX_SRC_CAPTURE_SINK_BASE_H_
#define MEOWMX_SRC_CAPTURE_SINK_BASE_H_

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meowmx/capture/signal.h"
#include "meowmx/capture/sink.h"

namespace meowmx::internal {

class SinkBase : public Sink {
 protected:
  // name: the plain signal name ("orders_update"); payload: the key, or the
  // raw event when `raw`.
  using ChangeHandler = std::function<void(const std::string& name, const nlohmann::json& payload)>;

  // Every action of every table, plain or raw signals.
  void on_changes(SignalBus& bus, const std::vector<std::string>& tables, bool raw, ChangeHandler handler);
  // The end of each source transaction.
  void on_position(SignalBus& bus, SignalHandler handler);

 private:
  std::vector<ScopedConnection> connections_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SINK_BASE_H_

// SignalSink: the meepo signals as one sink among the others. Each change
// is sent as `<stem>_<action>` (the key) and `<stem>_<action>_raw` (the raw
// form) to whoever receives them, and the position signal closes each
// transaction. The payloads are nlohmann::json values, so a json column's
// number beyond a double's precision loses digits here, unlike in the other
// sinks, which pass the source's text on.
#ifndef MEOWMX_SRC_CAPTURE_SINKS_SIGNAL_SINK_H_
#define MEOWMX_SRC_CAPTURE_SINKS_SIGNAL_SINK_H_

#include <memory>

#include "meowmx/capture/signal.h"
#include "meowmx/capture/sink.h"

namespace meowmx::internal {

std::unique_ptr<Sink> make_signal_sink(SignalBus& bus);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SINKS_SIGNAL_SINK_H_

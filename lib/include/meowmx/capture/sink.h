// Sinks: the stock receivers of a pub's signals. A sink connects to the
// signals of the tables it is given when made, and disconnects when
// destroyed. Each one finishes its work for a transaction before the
// position signal returns, so the pub acknowledges only what every sink has.
//
//   print  meepo's "orders_update 42" lines, or the raw JSON events, one a line
//   zmq    a ZeroMQ PUB socket: frame "orders_update 42" (plus the raw JSON
//          as a second frame when asked), for meepo-style subscribers
//   log    the meowmx event log: one event per change, aggregate type = table,
//          aggregate id = primary key, exactly once across redeliveries
#ifndef MEOWMX_CAPTURE_SINK_H_
#define MEOWMX_CAPTURE_SINK_H_

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "meowmx/capture/signal.h"

namespace meowmx {

class Sink {
 public:
  virtual ~Sink() = default;
};

enum class PrintFormat { kText, kJson };

struct PrintSinkOptions {
  PrintFormat format = PrintFormat::kText;
  std::FILE* out = stdout;  // flushed after each transaction
};

struct ZmqSinkOptions {
  // Exactly one of the two: an endpoint to bind the PUB socket to
  // ("tcp://127.0.0.1:5555"), or a forwarder's SUB side to connect to.
  std::string bind;
  std::string connect;
  // Add the raw JSON event as a second frame.
  bool raw = false;
  // Messages queued per subscriber before PUB drops (ZeroMQ's send high-water
  // mark), so a slow subscriber loses messages rather than stalling capture.
  int high_water_mark = 100000;
  // How long a stopping sink waits for queued messages to leave.
  std::chrono::milliseconds linger{1000};
};

struct LogSinkOptions {
  // The event store to append to; it must be set up with aggregate id type
  // text, since captured keys may be numbers, strings or composites.
  std::string dsn;
  // Names the capture stream in the deterministic event ids, so a
  // redelivered transaction is recognised and not stored twice: use
  // capture_stream_id() (pub.h).
  std::string stream_id;
};

// `tables` are table names as given to the pub ("orders", "sales.orders").
// All throw InvalidArgument for bad options, ConnectionError when the target
// cannot be reached.
std::unique_ptr<Sink> make_print_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                      const PrintSinkOptions& options = {});
std::unique_ptr<Sink> make_zmq_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                    const ZmqSinkOptions& options);
std::unique_ptr<Sink> make_log_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                    const LogSinkOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_SINK_H_

// Sink: where captured changes go. A Pub hands every sink the same ordered
// stream of transactions, each framed by begin() and commit() (or abort()),
// on one dispatching thread, and acknowledges to the source only what every
// sink has marked done: the low watermark.
//
// A synchronous sink has a transaction when commit() returns true. An
// asynchronous one (a Kafka producer, replicator workers) returns false and
// calls SinkMarks::done() later, from any thread; meanwhile the pub reads on
// within its buffer and keeps the source's connection alive.
//
// A sink that keeps its own resume point where it writes (the log sink: in
// the same transaction as its events) returns it from open(), and the pub
// skips for it every transaction at or before that point: exactly once.
// Sinks without a store of their own are at-least-once across restarts.
#ifndef MEOWMX_CAPTURE_SINK_H_
#define MEOWMX_CAPTURE_SINK_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/capture/change_event.h"
#include "meowmx/capture/position.h"
#include "meowmx/capture/table.h"

namespace meowmx {

// What a sink wants of a table's changes.
enum class Interest {
  kNone,  // nothing: change() is not called for the table
  kKeys,  // the key (ChangeEvent::key); rows may be absent
  kRows,  // the key and the whole rows
};

// The stream a pub runs, as its source describes it once connected.
struct StreamInfo {
  // Unique per stream and stable across runs: "postgres:<system
  // identifier>/<database>/<slot>" or "postgres-trigger:<system identifier>/<database>".
  std::string id;
  std::vector<CapturedTable> tables;
};

// Given to a sink at open(); may be called from any thread.
class SinkMarks {
 public:
  virtual ~SinkMarks() = default;
  // The sink has transaction `sequence` for good; in any order.
  virtual void done(std::uint64_t sequence) = 0;
  // The sink failed away from the dispatching thread: the pub stops with `error`.
  virtual void fail(std::exception_ptr error) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;

  // For logs and errors: "print", "zmq", "log", ...
  virtual std::string_view name() const = 0;

  // At the start of each session of a Pub::run() (after a lost connection
  // too), before any transaction. Returns the position of the last
  // transaction the sink already has in its own store, or nullopt when it
  // keeps none. `marks` serves until the next open(); marks still owed for
  // the session before are not needed any more (its transactions come again).
  virtual std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks& marks) = 0;

  // Asked after open() for each captured table.
  virtual Interest interest(const CapturedTable& table) const = 0;

  virtual void begin(const Transaction& transaction) = 0;
  // Changes of tables the sink has an interest in, in the transaction's order.
  virtual void change(const Transaction& transaction, const ChangeEvent& change) = 0;
  // The transaction is complete (its position is final now). True when the
  // sink has it; false when it will call marks.done(transaction.sequence).
  virtual bool commit(const Transaction& transaction) = 0;
  // The transaction begun last will not be completed (the source lost its
  // connection half-way; it comes again later): forget what it gave.
  virtual void abort() = 0;
};

// What the print and zmq sinks do with the key forms.
enum class PrintFormat { kText, kJson };

struct PrintSinkOptions {
  PrintFormat format = PrintFormat::kText;  // "orders_update 42" lines, or the raw JSON changes
  std::FILE* out = stdout;                  // flushed at each commit
};

struct ZmqSinkOptions {
  // Exactly one of the two: an endpoint to bind the PUB socket to
  // ("tcp://127.0.0.1:5555"), or a forwarder's SUB side to connect to.
  std::string bind;
  std::string connect;
  // Add the raw JSON change as a second frame.
  bool raw = false;
  // Messages queued per subscriber before PUB drops (ZeroMQ's send high-water
  // mark), so a slow subscriber loses messages rather than stalling capture.
  int high_water_mark = 100000;
  // How long a stopping sink waits for queued messages to leave.
  std::chrono::milliseconds linger{1000};
};

// What the log sink does with a change the event log cannot take (a key
// over 1,024 bytes, a row over the 1 MiB payload limit).
enum class OnUnstorable {
  kDeadLetter,  // park it in meowmx.capture_dead_letters and go on
  kStop,        // stop the pub with an error naming the change
};

struct LogSinkOptions {
  // The event store to append to; it must be set up with aggregate id type
  // text, since captured keys may be numbers, strings or composites.
  std::string dsn;
  OnUnstorable on_unstorable = OnUnstorable::kDeadLetter;
};

// print: meepo's lines or JSON lines. zmq: a ZeroMQ PUB socket with frames
// "orders_update 42" (plus the raw JSON when asked), for meepo subscribers.
// log: the meowmx event log, one event per change (aggregate type = the
// table's stem, aggregate id = pk_text), exactly once with its resume point
// in meowmx.capture_positions.
// All throw InvalidArgument for bad options; make_zmq_sink and make_log_sink
// throw ConnectionError when their target cannot be reached.
std::unique_ptr<Sink> make_print_sink(const PrintSinkOptions& options = {});
std::unique_ptr<Sink> make_zmq_sink(const ZmqSinkOptions& options);
std::unique_ptr<Sink> make_log_sink(const LogSinkOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_SINK_H_

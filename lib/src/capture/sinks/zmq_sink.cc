#include <zmq.hpp>

#include "common/logger.h"
#include "meowmx/capture/sink.h"
#include "meowmx/error.h"

namespace meowmx {
namespace {

// At-most-once to subscribers (PUB drops what a slow or absent subscriber
// cannot take), at-least-once from the stream: a redelivered transaction is
// published again.
class ZmqSink : public Sink {
 public:
  explicit ZmqSink(const ZmqSinkOptions& options) : raw_(options.raw), socket_(context_, zmq::socket_type::pub) {
    if (options.bind.empty() == options.connect.empty()) {
      throw InvalidArgument("zmq sink: give exactly one of a bind endpoint or a connect endpoint");
    }
    socket_.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
    socket_.set(zmq::sockopt::sndhwm, options.high_water_mark);
    const std::string& endpoint = options.bind.empty() ? options.connect : options.bind;
    try {
      if (options.bind.empty()) {
        socket_.connect(endpoint);
      } else {
        socket_.bind(endpoint);
      }
    } catch (const zmq::error_t& e) {
      if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT) {
        throw InvalidArgument("zmq sink: invalid endpoint '" + endpoint.substr(0, 80) + "': " + e.what());
      }
      throw ConnectionError("zmq sink: cannot " + std::string(options.bind.empty() ? "connect to " : "bind ") +
                            endpoint + ": " + e.what());
    }
    internal::logger().info("zmq sink: {} {}", options.bind.empty() ? "connected to" : "bound to", endpoint);
  }

  std::string_view name() const override { return "zmq"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks&) override { return std::nullopt; }
  Interest interest(const CapturedTable&) const override { return raw_ ? Interest::kRows : Interest::kKeys; }
  void begin(const Transaction&) override {}

  // PUB never blocks: a message beyond a subscriber's high-water mark is
  // dropped for that subscriber, which ZeroMQ's fan-out is built on.
  void change(const Transaction& transaction, const ChangeEvent& change) override {
    const std::string line = text_line(change);
    if (!raw_) {
      socket_.send(zmq::buffer(line), zmq::send_flags::none);
      return;
    }
    socket_.send(zmq::buffer(line), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(to_json_text(transaction, change)), zmq::send_flags::none);
  }

  bool commit(const Transaction&) override { return true; }
  void abort() override {}

 private:
  bool raw_;
  zmq::context_t context_;
  zmq::socket_t socket_;
};

}  // namespace

std::unique_ptr<Sink> make_zmq_sink(const ZmqSinkOptions& options) { return std::make_unique<ZmqSink>(options); }

}  // namespace meowmx

#include <zmq.hpp>

#include "common/logger.h"
#include "meowmx/capture/change_event.h"
#include "meowmx/error.h"
#include "capture/sink_base.h"

namespace meowmx {
namespace {

class ZmqSink : public internal::SinkBase {
 public:
  ZmqSink(SignalBus& bus, const std::vector<std::string>& tables, const ZmqSinkOptions& options)
      : socket_(context_, zmq::socket_type::pub) {
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
        throw InvalidArgument("zmq sink: invalid endpoint '" + endpoint + "': " + e.what());
      }
      throw ConnectionError("zmq sink: cannot " + std::string(options.bind.empty() ? "connect to " : "bind ") +
                            endpoint + ": " + e.what());
    }
    internal::logger().info("zmq sink: {} {}", options.bind.empty() ? "connected to" : "bound to", endpoint);
    if (options.raw) {
      on_changes(bus, tables, true, [this](const std::string& name, const nlohmann::json& event) {
        send(text_line(name, event.at("pk")), zmq::send_flags::sndmore);
        send(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), zmq::send_flags::none);
      });
    } else {
      on_changes(bus, tables, false, [this](const std::string& name, const nlohmann::json& pk) {
        send(text_line(name, pk), zmq::send_flags::none);
      });
    }
  }

 private:
  // PUB never blocks: a message beyond a subscriber's high-water mark is
  // dropped for that subscriber, which ZeroMQ's fan-out is built on.
  void send(const std::string& frame, zmq::send_flags flags) {
    socket_.send(zmq::buffer(frame), flags);
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
};

}  // namespace

std::unique_ptr<Sink> make_zmq_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                    const ZmqSinkOptions& options) {
  return std::make_unique<ZmqSink>(bus, tables, options);
}

}  // namespace meowmx

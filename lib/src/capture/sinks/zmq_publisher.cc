#include "capture/sinks/zmq_publisher.h"

#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {

ZmqPublisher::ZmqPublisher(const ZmqSinkOptions& options, Subscriptions subscriptions)
    : endpoint_(options.bind.empty() ? options.connect : options.bind),
      socket_(context_, subscriptions == Subscriptions::kSeen ? zmq::socket_type::xpub : zmq::socket_type::pub) {
  if (options.bind.empty() == options.connect.empty()) {
    throw InvalidArgument("zmq: give exactly one of a bind endpoint or a connect endpoint");
  }
  socket_.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
  socket_.set(zmq::sockopt::sndhwm, options.high_water_mark);
  try {
    if (options.bind.empty()) {
      socket_.connect(endpoint_);
    } else {
      socket_.bind(endpoint_);
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT) {
      throw InvalidArgument("zmq: invalid endpoint '" + endpoint_.substr(0, 80) + "': " + e.what());
    }
    throw ConnectionError("zmq: cannot " + std::string(options.bind.empty() ? "connect to " : "bind ") + endpoint_ +
                          ": " + e.what());
  }
  logger().info("zmq: {} {}", options.bind.empty() ? "connected to" : "bound to", endpoint_);
}

void ZmqPublisher::send(std::string_view line, std::optional<std::string_view> raw) {
  if (!raw) {
    socket_.send(zmq::buffer(line), zmq::send_flags::none);
    return;
  }
  socket_.send(zmq::buffer(line), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(*raw), zmq::send_flags::none);
}

bool ZmqPublisher::await_subscriber(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left);
    if (!(item.revents & ZMQ_POLLIN)) continue;
    // XPUB hands up a subscription as a message "\x01<topic>" ("\x00" for an
    // unsubscription) once its subscriber's pipe matches it.
    zmq::message_t message;
    if (socket_.recv(message, zmq::recv_flags::dontwait) && message.size() > 0 &&
        message.data<unsigned char>()[0] == 1) {
      return true;
    }
  }
}

}  // namespace meowmx::internal

// ZmqPublisher: the ZeroMQ socket behind the zmq sink and behind
// redis-recover's replay, bound or connected as ZmqSinkOptions say, sending
// meepo's messages ("orders_update 42", and the raw JSON as a second frame).
#ifndef MEOWMX_SRC_CAPTURE_SINKS_ZMQ_PUBLISHER_H_
#define MEOWMX_SRC_CAPTURE_SINKS_ZMQ_PUBLISHER_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "meowmx/capture/sink.h"

namespace meowmx::internal {

// What the publisher learns of its subscribers.
enum class Subscriptions {
  kIgnored,  // a PUB socket: subscriptions are ZeroMQ's business only
  kSeen,     // an XPUB socket, for await_subscriber() (a one-shot sender)
};

class ZmqPublisher {
 public:
  // `options.raw` is the caller's business. Throws InvalidArgument unless
  // exactly one of bind and connect is given or for a malformed endpoint,
  // ConnectionError when the endpoint cannot be bound or connected.
  explicit ZmqPublisher(const ZmqSinkOptions& options, Subscriptions subscriptions = Subscriptions::kIgnored);

  const std::string& endpoint() const noexcept { return endpoint_; }

  // One message: `line`, and `raw` as a second frame when given. Never
  // blocks: beyond a subscriber's high-water mark, ZeroMQ drops for that
  // subscriber (its fan-out is built on that).
  void send(std::string_view line, std::optional<std::string_view> raw = std::nullopt);

  // Waits up to `timeout` until a first subscriber has subscribed: PUB drops
  // what it sends before then. Needs Subscriptions::kSeen. False on timeout.
  bool await_subscriber(std::chrono::milliseconds timeout);

 private:
  std::string endpoint_;
  zmq::context_t context_;
  zmq::socket_t socket_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SINKS_ZMQ_PUBLISHER_H_

// The zmq input: a SUB socket reading meepo's single-frame `table_action pk`
// messages (extra frames, such as pub --raw's JSON, are skipped). At most
// once: nothing is acknowledged upstream, so what is queued when the
// replicator stops or dies, or sent while it is away, is lost.
#include <atomic>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/logger.h"
#include "meowmx/error.h"
#include "replicator/input.h"

namespace meowmx::internal {
namespace {

constexpr std::chrono::milliseconds kPollInterval{100};

struct Message {
  std::string event;
  std::string pk;
};

// "orders_update 42": the event name up to the first space (a JSON string
// when it holds a space itself), the pk all the rest, spaces included.
std::optional<Message> parse_message(std::string_view text) {
  std::string event;
  std::size_t rest = 0;
  if (text.starts_with('"')) {
    try {
      std::size_t end = 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size()) return std::nullopt;
      event = nlohmann::json::parse(text.substr(0, end + 1)).get<std::string>();
      rest = end + 1;
    } catch (const nlohmann::json::exception&) {
      return std::nullopt;
    }
  } else {
    rest = std::min(text.find(' '), text.size());
    event = std::string(text.substr(0, rest));
  }
  if (event.empty() || rest >= text.size() || text[rest] != ' ' || rest + 1 == text.size()) return std::nullopt;
  return Message{std::move(event), std::string(text.substr(rest + 1))};
}

class ZmqInputImpl : public Input {
 public:
  explicit ZmqInputImpl(const ZmqInput& options) : options_(options) {
    if (options.connect.empty()) throw InvalidArgument("the zmq input needs an endpoint to connect to");
  }

  std::string name() const override {
    std::string name = "zmq";
    for (const auto& endpoint : options_.connect) name += " " + endpoint;
    return name;
  }

  std::unique_ptr<Parking> default_parking() const override {
    throw InvalidArgument("the zmq input has no database to park pks in: give a parked-pks file");
  }

  void run(Dispatch& dispatch) override {
    zmq::context_t context;
    zmq::socket_t socket(context, zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::subscribe, "");
    for (const auto& endpoint : options_.connect) {
      try {
        socket.connect(endpoint);
      } catch (const zmq::error_t& e) {
        throw InvalidArgument("zmq input: invalid endpoint '" + endpoint.substr(0, 80) + "': " + e.what());
      }
    }
    zmq::pollitem_t poll_item{static_cast<void*>(socket), 0, ZMQ_POLLIN, 0};
    while (!stopping_) {
      zmq::poll(&poll_item, 1, kPollInterval);
      if (!(poll_item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t frame;
      while (socket.recv(frame, zmq::recv_flags::dontwait)) {
        const bool first_frame = !in_message_;
        in_message_ = frame.more();
        if (!first_frame) continue;
        const auto message = parse_message(frame.to_string_view());
        if (!message) {
          logger().warn("zmq input: skipped a message that is not `table_action pk`: {}",
                        frame.to_string_view().substr(0, 80));
          continue;
        }
        if (dispatch.wants(message->event)) dispatch.route(message->event, message->pk, "", 0);
      }
      dispatch.flush();
    }
    if (failure_) std::rethrow_exception(failure_);
  }

  void stop() override { stopping_ = true; }
  void fail(std::exception_ptr error) override {
    failure_ = error;
    stopping_ = true;
  }
  void done(Token) override {}
  std::string acknowledged() const override { return ""; }

 private:
  ZmqInput options_;
  std::atomic<bool> stopping_{false};
  std::exception_ptr failure_;  // written before stopping_ is set
  bool in_message_ = false;     // within a multi-frame message
};

}  // namespace

std::unique_ptr<Input> make_zmq_input(const ZmqInput& options) { return std::make_unique<ZmqInputImpl>(options); }

}  // namespace meowmx::internal

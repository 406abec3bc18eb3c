#include "meowmx/error.h"
#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class ZmqSinkFlags : public SinkFlags {
 public:
  std::string_view name() const override { return "zmq"; }
  std::string_view summary() const override { return "a ZeroMQ PUB socket for meepo-style subscribers"; }
  void add_flags(CLI::Option_group& group) override {
    group.add_option("--zmq-bind", options_.bind, "Bind the PUB socket here, e.g. tcp://127.0.0.1:5555");
    group.add_option("--zmq-connect", options_.connect, "Connect the PUB socket to a forwarder here");
    group.add_flag("--raw", options_.raw, "Add the raw JSON change as a second frame");
  }
  std::unique_ptr<Sink> make(const PubTarget&) const override {
    if (options_.bind.empty() == options_.connect.empty()) {
      throw InvalidArgument("--sink zmq needs exactly one of --zmq-bind or --zmq-connect");
    }
    return make_zmq_sink(options_);
  }

 private:
  ZmqSinkOptions options_;
};

}  // namespace

std::unique_ptr<SinkFlags> zmq_sink_flags() { return std::make_unique<ZmqSinkFlags>(); }

}  // namespace meowmx::cli

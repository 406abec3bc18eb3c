#include "meowmx/error.h"
#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class ZmqSinkFlags : public SinkFlags {
 public:
  std::string_view name() const override { return "zmq"; }
  std::string_view summary() const override { return "a ZeroMQ PUB socket for meepo-style subscribers"; }
  void add_flags(CLI::Option_group& group) override {
    add_zmq_endpoint_flags(group, options_);
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

void add_zmq_endpoint_flags(CLI::App& command, ZmqSinkOptions& options) {
  auto* bind = command.add_option("--zmq-bind", options.bind, "Bind the PUB socket here, e.g. tcp://127.0.0.1:5555");
  command.add_option("--zmq-connect", options.connect, "Connect the PUB socket to a forwarder here")->excludes(bind);
}

std::unique_ptr<SinkFlags> zmq_sink_flags() { return std::make_unique<ZmqSinkFlags>(); }

}  // namespace meowmx::cli

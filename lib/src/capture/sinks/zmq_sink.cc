#include "capture/sinks/zmq_publisher.h"
#include "meowmx/capture/sink.h"

namespace meowmx {
namespace {

// At-most-once to subscribers (PUB drops what a slow or absent subscriber
// cannot take), at-least-once from the stream: a redelivered transaction is
// published again.
class ZmqSink : public Sink {
 public:
  explicit ZmqSink(const ZmqSinkOptions& options) : raw_(options.raw), publisher_(options) {}

  std::string_view name() const override { return "zmq"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks&) override { return std::nullopt; }
  Interest interest(const CapturedTable&) const override { return raw_ ? Interest::kRows : Interest::kKeys; }
  void begin(const Transaction&) override {}

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    if (raw_) {
      publisher_.send(text_line(change), to_json_text(transaction, change));
    } else {
      publisher_.send(text_line(change));
    }
  }

  bool commit(const Transaction&) override { return true; }
  void abort() override {}

 private:
  bool raw_;
  internal::ZmqPublisher publisher_;
};

}  // namespace

std::unique_ptr<Sink> make_zmq_sink(const ZmqSinkOptions& options) { return std::make_unique<ZmqSink>(options); }

}  // namespace meowmx

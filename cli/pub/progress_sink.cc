#include "pub/progress_sink.h"

namespace meowmx::cli {
namespace {

// Counts what went through, one report per transaction at most.
class ProgressSink : public Sink {
 public:
  explicit ProgressSink(ProgressOptions options) : progress_(std::move(options)) {}
  std::string_view name() const override { return "progress"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks&) override { return std::nullopt; }
  Interest interest(const CapturedTable&) const override { return Interest::kKeys; }
  void begin(const Transaction&) override { changes_ = 0; }
  void change(const Transaction&, const ChangeEvent&) override { ++changes_; }
  bool commit(const Transaction& transaction) override {
    progress_.add(changes_, to_json_text(transaction.position));
    return true;
  }
  void abort() override {}

 private:
  ProgressReporter progress_;
  std::int64_t changes_ = 0;
};

}  // namespace

std::unique_ptr<Sink> make_progress_sink(ProgressOptions options) {
  return std::make_unique<ProgressSink>(std::move(options));
}

}  // namespace meowmx::cli

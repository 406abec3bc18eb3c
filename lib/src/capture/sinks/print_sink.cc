#include <cerrno>
#include <cstring>

#include "meowmx/capture/sink.h"
#include "meowmx/error.h"

namespace meowmx {
namespace {

// At-least-once: lines reach the file (or pipe) by the end of each
// transaction, before the pub may acknowledge it; a crash before the
// acknowledgement prints them again.
class PrintSink : public Sink {
 public:
  explicit PrintSink(const PrintSinkOptions& options) : format_(options.format), out_(options.out) {
    if (!out_) throw InvalidArgument("print sink: no output stream");
  }

  std::string_view name() const override { return "print"; }
  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks&) override { return std::nullopt; }
  Interest interest(const CapturedTable&) const override {
    return format_ == PrintFormat::kJson ? Interest::kRows : Interest::kKeys;
  }
  void begin(const Transaction&) override {}

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    std::string line = format_ == PrintFormat::kJson ? to_json_text(transaction, change) : text_line(change);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) fail();
  }

  bool commit(const Transaction&) override {
    if (std::fflush(out_) != 0) fail();
    return true;
  }

  void abort() override {}

 private:
  [[noreturn]] void fail() { throw Error(std::string("print sink: cannot write: ") + std::strerror(errno)); }

  PrintFormat format_;
  std::FILE* out_;
};

}  // namespace

std::unique_ptr<Sink> make_print_sink(const PrintSinkOptions& options) { return std::make_unique<PrintSink>(options); }

}  // namespace meowmx

#include <cerrno>
#include <cstring>

#include "meowmx/capture/change_event.h"
#include "meowmx/error.h"
#include "capture/sink_base.h"

namespace meowmx {
namespace {

class PrintSink : public internal::SinkBase {
 public:
  PrintSink(SignalBus& bus, const std::vector<std::string>& tables, const PrintSinkOptions& options)
      : out_(options.out) {
    if (!out_) throw InvalidArgument("print sink: no output stream");
    if (options.format == PrintFormat::kJson) {
      on_changes(bus, tables, true, [this](const std::string&, const nlohmann::json& event) {
        // Invalid UTF-8 in a text column is replaced rather than failing the stream.
        write(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      });
    } else {
      on_changes(bus, tables, false,
                 [this](const std::string& name, const nlohmann::json& pk) { write(text_line(name, pk)); });
    }
    // Lines reach the file (or pipe) by the end of each transaction, before
    // the pub acknowledges it.
    on_position(bus, [this](const nlohmann::json&) {
      if (std::fflush(out_) != 0) fail();
    });
  }

 private:
  void write(std::string line) {
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) fail();
  }
  [[noreturn]] void fail() { throw Error(std::string("print sink: cannot write: ") + std::strerror(errno)); }

  std::FILE* out_;
};

}  // namespace

std::unique_ptr<Sink> make_print_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                      const PrintSinkOptions& options) {
  return std::make_unique<PrintSink>(bus, tables, options);
}

}  // namespace meowmx

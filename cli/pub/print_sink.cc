#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class PrintSinkFlags : public SinkFlags {
 public:
  std::string_view name() const override { return "print"; }
  std::string_view summary() const override { return "lines on stdout (the default)"; }
  void add_flags(CLI::Option_group& group) override {
    group.add_option("--format", format_, "text: \"orders_update 42\" lines; json: the raw changes, one a line")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
  }
  std::unique_ptr<Sink> make(const PubTarget&) const override {
    return make_print_sink({.format = format_ == "json" ? PrintFormat::kJson : PrintFormat::kText});
  }

 private:
  std::string format_ = "text";
};

}  // namespace

std::unique_ptr<SinkFlags> print_sink_flags() { return std::make_unique<PrintSinkFlags>(); }

}  // namespace meowmx::cli

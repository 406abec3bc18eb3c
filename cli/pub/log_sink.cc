#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class LogSinkFlags : public SinkFlags {
 public:
  std::string_view name() const override { return "log"; }
  std::string_view summary() const override { return "the meowmx event log, exactly once"; }
  void add_flags(CLI::Option_group& group) override {
    group.add_option("--log-dsn", dsn_,
                     "Event store to append to (default: the captured database); needs aggregate id type text");
    group.add_option("--on-unstorable", on_unstorable_,
                     "A change the log cannot take: dead-letter (park it in meowmx.capture_dead_letters and go "
                     "on) or stop")
        ->check(CLI::IsMember({"dead-letter", "stop"}))
        ->capture_default_str();
  }
  std::unique_ptr<Sink> make(const PubTarget& target) const override {
    return make_log_sink({.dsn = dsn_.empty() ? target.dsn : dsn_,
                          .on_unstorable = on_unstorable_ == "stop" ? OnUnstorable::kStop : OnUnstorable::kDeadLetter});
  }

 private:
  std::string dsn_;
  std::string on_unstorable_ = "dead-letter";
};

}  // namespace

std::unique_ptr<SinkFlags> log_sink_flags() { return std::make_unique<LogSinkFlags>(); }

}  // namespace meowmx::cli

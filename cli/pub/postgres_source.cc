#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class PostgresSourceFlags : public SourceFlags {
 public:
  std::string_view name() const override { return "postgres"; }
  std::string_view summary() const override {
    return "logical decoding through a replication slot (resumable; the default)";
  }
  void add_flags(CLI::Option_group& group) override {
    group.add_option("--slot", source_.slot, "Replication slot, created on first use")->capture_default_str();
    group.add_option("--publication", source_.publication, "Publication (default: named like the slot)");
    group.add_flag("--once", source_.once, "Stop at the end of the WAL as of the start instead of waiting for more");
    group.add_option("--status-interval", status_interval_,
                     "Seconds between position reports to the server (also while sinks are busy)")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
  }
  SourceOptions options(const PubTarget& target) const override {
    PostgresSource source = source_;
    source.dsn = target.dsn;
    source.tables = target.tables;
    source.status_interval = std::chrono::milliseconds(static_cast<std::int64_t>(status_interval_ * 1000));
    return source;
  }

 private:
  PostgresSource source_;
  double status_interval_ = 10;
};

}  // namespace

std::unique_ptr<SourceFlags> postgres_source_flags() { return std::make_unique<PostgresSourceFlags>(); }

}  // namespace meowmx::cli

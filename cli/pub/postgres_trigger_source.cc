#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class PostgresTriggerSourceFlags : public SourceFlags {
 public:
  std::string_view name() const override { return "postgres-trigger"; }
  std::string_view summary() const override {
    return "statement triggers + NOTIFY (low latency; loses what happens while nobody listens)";
  }
  void add_flags(CLI::Option_group& group) override {
    group.add_flag("--uninstall", uninstall_, "Remove the triggers from the tables and exit");
  }
  SourceOptions options(const PubTarget& target) const override {
    return PostgresTriggerSource{target.dsn, target.tables};
  }
  std::optional<nlohmann::json> run_instead(const PubTarget& target) const override {
    if (!uninstall_) return std::nullopt;
    uninstall_pub_triggers(target.dsn, target.tables);
    return nlohmann::json{{"uninstalled", target.tables}};
  }

 private:
  bool uninstall_ = false;
};

}  // namespace

std::unique_ptr<SourceFlags> postgres_trigger_source_flags() {
  return std::make_unique<PostgresTriggerSourceFlags>();
}

}  // namespace meowmx::cli

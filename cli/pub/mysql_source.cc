#include <cstdlib>

#include "meowmx/error.h"

#include "pub/flag_groups.h"

namespace meowmx::cli {
namespace {

class MysqlSourceFlags : public SourceFlags {
 public:
  std::string_view name() const override { return "mysql"; }
  std::string_view summary() const override {
    return "a MySQL/MariaDB row binlog, read as a replica (resumable: position kept in --dsn or --state-file)";
  }
  // --slot (the stream's name) and --once mean here what they mean for postgres.
  std::vector<std::string> shared_flags() const override { return {"--slot", "--once"}; }
  bool needs_dsn() const override { return false; }
  void add_flags(CLI::Option_group& group) override {
    parent_ = group.get_parent();
    add_mysql_stream_flags(group, source_);
    group.add_option("--from", source_.from,
                     "Where a stream with no kept position starts: beginning, now, file:pos or gtid:<gtid list>")
        ->capture_default_str();
    group.add_option("--server-id", source_.server_id,
                     "Replica id for the server (default: derived from --slot)");
    group.add_option("--heartbeat", heartbeat_, "Seconds between the server's heartbeats while idle")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
  }
  SourceOptions options(const PubTarget& target) const override {
    MysqlSource source = source_;
    require_mysql_dsn(source);
    source.tables = target.tables;
    source.position_dsn = target.dsn;
    source.slot = parent_->get_option("--slot")->as<std::string>();
    source.once = parent_->get_option("--once")->count() > 0;
    source.heartbeat = std::chrono::milliseconds(static_cast<std::int64_t>(heartbeat_ * 1000));
    return source;
  }

 private:
  MysqlSource source_;
  double heartbeat_ = 1;
  CLI::App* parent_ = nullptr;
};

}  // namespace

void add_mysql_stream_flags(CLI::App& command, MysqlSource& source) {
  command.add_option("--mysql-dsn", source.dsn, "The server: mysql://user:password@host:port/[database]")
      ->envname("MEOWMX_MYSQL_DSN");
  command.add_option("--state-file", source.state_file,
                     "Keep the stream's position in this file instead of the --dsn database");
}

void require_mysql_dsn(const MysqlSource& source) {
  if (source.dsn.empty()) throw InvalidArgument("--source mysql needs --mysql-dsn (or MEOWMX_MYSQL_DSN)");
}

std::unique_ptr<SourceFlags> mysql_source_flags() { return std::make_unique<MysqlSourceFlags>(); }

}  // namespace meowmx::cli

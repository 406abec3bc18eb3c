// The flags of `meowmx pub`, one option group per source and per sink. A
// new source or sink adds a file with its group and a row in the tables of
// flag_groups.cc; the command itself knows none of them.
#ifndef MEOWMX_CLI_PUB_FLAG_GROUPS_H_
#define MEOWMX_CLI_PUB_FLAG_GROUPS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "meowmx/change_capture.h"

namespace meowmx::cli {

// What `pub` was given besides the groups' own flags.
struct PubTarget {
  std::string dsn;                  // the captured database (--dsn, MEOWMX_DSN, the dev cluster)
  std::vector<std::string> tables;  // --tables
};

class FlagGroup {
 public:
  virtual ~FlagGroup() = default;
  // The value of --source or --sink that selects the group.
  virtual std::string_view name() const = 0;
  // One line for --help.
  virtual std::string_view summary() const = 0;
  // Declares the group's flags.
  virtual void add_flags(CLI::Option_group& group) = 0;
  // Flags of another group (declared before this one) that this group reads too.
  virtual std::vector<std::string> shared_flags() const { return {}; }
};

class SourceFlags : public FlagGroup {
 public:
  virtual SourceOptions options(const PubTarget& target) const = 0;
  // When the group's flags ask for a one-off task instead of a pub (the
  // trigger source's --uninstall), does it and returns the JSON line to print.
  virtual std::optional<nlohmann::json> run_instead(const PubTarget&) const { return std::nullopt; }
  // Whether the source needs the PostgreSQL database (PubTarget::dsn); when
  // not, the DSN is empty unless one can be resolved.
  virtual bool needs_dsn() const { return true; }
};

class SinkFlags : public FlagGroup {
 public:
  // Throws InvalidArgument for bad flags, ConnectionError when the sink's
  // target cannot be reached.
  virtual std::unique_ptr<Sink> make(const PubTarget& target) const = 0;
};

std::vector<std::unique_ptr<SourceFlags>> source_flag_groups();
std::vector<std::unique_ptr<SinkFlags>> sink_flag_groups();

// Whether the user gave `option` on the command line, for refusing flags of
// a group not chosen. While its environment variable (MEOWMX_MYSQL_DSN,
// MEOWMX_REDIS_URL) is set, the value is taken to come from there: such a
// variable is set for other commands too, and must not make them fail.
bool given_on_command_line(const CLI::Option& option);

// An option group of a command, whether the command uses it this time, and
// the flags of other groups it reads too when it does (FlagGroup::shared_flags()).
struct GroupChoice {
  const CLI::Option_group& flags;
  bool chosen;
  std::vector<std::string> shared_flags = {};
};

// A flag of a group not chosen would be ignored: throws InvalidArgument
// "<flag> belongs to <context><the option group's name>" (e.g. "--zmq-bind
// belongs to --sink zmq") for the first one given on the command line,
// except the flags the chosen groups share.
void refuse_flags_of_groups_not_chosen(const std::vector<GroupChoice>& groups, std::string_view context = "");

// Flags that another command takes too, defined once here:
// --zmq-bind and --zmq-connect (the zmq sink, redis-recover), which exclude each other;
void add_zmq_endpoint_flags(CLI::App& command, ZmqSinkOptions& options);
// --mysql-dsn (or $MEOWMX_MYSQL_DSN) and --state-file (the mysql source, pub-status);
void add_mysql_stream_flags(CLI::App& command, MysqlSource& source);
// and the InvalidArgument when --mysql-dsn is missing.
void require_mysql_dsn(const MysqlSource& source);

// Each source's and sink's group (postgres_source.cc, print_sink.cc, ...).
std::unique_ptr<SourceFlags> postgres_source_flags();
std::unique_ptr<SourceFlags> postgres_trigger_source_flags();
std::unique_ptr<SourceFlags> mysql_source_flags();
std::unique_ptr<SinkFlags> print_sink_flags();
std::unique_ptr<SinkFlags> zmq_sink_flags();
std::unique_ptr<SinkFlags> log_sink_flags();
std::unique_ptr<SinkFlags> redis_sink_flags();

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_PUB_FLAG_GROUPS_H_

#include "common/logger.h"
#include "meowmx/capture/change_event.h"
#include "meowmx/client.h"
#include "meowmx/error.h"
#include "capture/postgres/identifiers.h"
#include "capture/sink_base.h"
#include "common/uuid5.h"

namespace meowmx {
namespace {

// Fixed namespace of the log sink's event ids (any UUID would do, as long as
// it never changes).
constexpr std::string_view kEventIdNamespace = "6d656f77-6d78-5075-6221-6c6f672d6964";

// A truncate concerns every row: it is recorded on this aggregate id.
constexpr std::string_view kWholeTable = "*";

std::string transaction_of(const nlohmann::json& position) {
  auto copy = position;
  copy.erase("index");
  return copy.dump();
}

class LogSink : public internal::SinkBase {
 public:
  LogSink(SignalBus& bus, const std::vector<std::string>& tables, const LogSinkOptions& options)
      : client_(ClientOptions{options.dsn, "meowmx pub log sink"}), stream_id_(options.stream_id) {
    if (stream_id_.empty()) throw InvalidArgument("log sink: a stream id is needed for its event ids");
    for (const auto& table : internal::parse_tables(tables)) {
      // Capturing the log into itself would never stop.
      if (table.schema == "meowmx") throw InvalidArgument("log sink: cannot capture meowmx's own tables");
    }
    const auto id_type = client_.aggregate_id_type();
    if (id_type != AggregateIdType::kText) {
      throw InvalidArgument(
          "log sink: the event store's aggregate id type is " + std::string(to_string(id_type)) +
          ", but captured primary keys (numbers, strings, composite keys) need text: use a database set up "
          "with `meowmx setup --aggregate-id-type text`");
    }
    on_changes(bus, tables, true,
               [this](const std::string&, const nlohmann::json& payload) { add(payload); });
    on_position(bus, [this](const nlohmann::json&) { save_transaction(); });
  }

 private:
  void add(const nlohmann::json& payload) {
    ChangeEvent event;
    from_json(payload, event);
    // A change that does not follow the last one held starts over: what is
    // held is the remains of a delivery that failed half-way.
    if (!pending_.empty() && (transaction_of(event.position) != transaction_of(pending_.back().position) ||
                              event.position.value("index", 0) <= pending_.back().position.value("index", 0))) {
      pending_.clear();
    }
    pending_.push_back(std::move(event));
  }

  NewEvent to_new_event(const ChangeEvent& change) const {
    NewEvent event;
    event.event_type = change.name();
    if (change.action == ChangeAction::kUpdate) {
      event.json = {{"before", change.before}, {"after", change.after}};
    } else {
      event.json = {{"values", change.values}};
    }
    if (!change.unchanged_toast.empty()) event.json["unchanged_toast"] = change.unchanged_toast;
    event.metadata = {{"capture", stream_id_},
                      {"position", change.position},
                      {"xid", change.xid},
                      {"commit_time", change.commit_time}};
    // The same change redelivered after a crash gets the same id, so the
    // store records it once.
    event.event_id = internal::uuid5(kEventIdNamespace, stream_id_ + " " + change.position.dump());
    return event;
  }

  static std::string aggregate_id(const ChangeEvent& change) {
    return change.action == ChangeAction::kTruncate ? std::string(kWholeTable) : pk_text(change.pk);
  }

  // One save per run of consecutive changes to the same row: the order of
  // the transaction is kept, and a redelivered transaction is cut into the
  // same batches, each recognised whole by its event ids.
  void save_transaction() {
    std::size_t begin = 0;
    while (begin < pending_.size()) {
      const std::string id = aggregate_id(pending_[begin]);
      std::size_t end = begin + 1;
      while (end < pending_.size() && pending_[end].table == pending_[begin].table &&
             aggregate_id(pending_[end]) == id) {
        ++end;
      }
      std::vector<NewEvent> batch;
      for (std::size_t i = begin; i < end; ++i) batch.push_back(to_new_event(pending_[i]));
      client_.save(pending_[begin].table, id, batch, ExpectedVersion::any());
      begin = end;
    }
    if (!pending_.empty()) internal::logger().debug("log sink: recorded {} change(s)", pending_.size());
    pending_.clear();
  }

  Client client_;
  std::string stream_id_;
  std::vector<ChangeEvent> pending_;
};

}  // namespace

std::unique_ptr<Sink> make_log_sink(SignalBus& bus, const std::vector<std::string>& tables,
                                    const LogSinkOptions& options) {
  return std::make_unique<LogSink>(bus, tables, options);
}

}  // namespace meowmx

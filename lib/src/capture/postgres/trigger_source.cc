#include "capture/postgres/trigger_source.h"

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/notification>

#include "common/logger.h"
#include "capture/postgres/catalog.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/triggers.h"

namespace meowmx::internal {
namespace {

class Listener : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection_base& connection, std::vector<std::string>& received)
      : pqxx::notification_receiver(connection, kTriggerChannel), received_(received) {}
  void operator()(const std::string& payload, int) override { received_.push_back(payload); }

 private:
  std::vector<std::string>& received_;
};

Value value_of(const nlohmann::json& json) {
  if (json.is_null()) return {};
  if (json.is_string()) return {Value::Kind::kString, json.get<std::string>()};
  if (json.is_boolean()) return {Value::Kind::kBoolean, json.dump()};
  if (json.is_number()) return {Value::Kind::kNumber, json.dump()};
  return {Value::Kind::kJson, json.dump()};
}

const CapturedTable* table_of(const std::vector<PgTable>& tables, const std::string& stem) {
  for (const auto& table : tables) {
    if (table.table.stem == stem) return &table.table;
  }
  return nullptr;
}

// Notifications of one transaction arrive together and in order, and
// transactions in commit order: a change of xid ends a transaction.
void dispatch(const std::vector<std::string>& payloads, const std::vector<PgTable>& tables, Pipeline& pipeline) {
  std::optional<std::uint64_t> open_xid;
  for (const auto& payload : payloads) {
    const auto message = nlohmann::json::parse(payload, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      logger().warn("ignoring a notification on {} that is not meowmx's: {}", kTriggerChannel, payload);
      continue;
    }
    ChangeEvent event;
    std::uint64_t xid = 0;
    try {
      event.table = table_of(tables, message.at("table").get<std::string>());
      if (!event.table) continue;
      event.action = parse_change_action(message.at("action").get<std::string>());
      const auto& pk = message.at("pk");
      if (event.action != ChangeAction::kTruncate) {
        if (event.table->key.size() == 1) {
          event.key.push_back(value_of(pk));
        } else {
          for (const auto& part : pk) event.key.push_back(value_of(part));
        }
      }
      xid = message.at("xid").get<std::uint64_t>();
      event.index = message.at("index").get<std::int64_t>();
    } catch (const std::exception& e) {
      logger().warn("ignoring a malformed notification on {}: {}", kTriggerChannel, e.what());
      continue;
    }
    if (message.value("pk_too_long", false)) {
      logger().warn("{}: the key did not fit in a notification and is sent as null", event.name());
    }
    if (open_xid && *open_xid != xid) pipeline.commit(XidPosition{*open_xid});
    if (open_xid != xid) pipeline.begin(XidPosition{xid}, xid, "");
    open_xid = xid;
    if (pipeline.interest(*event.table) != Interest::kNone) pipeline.change(std::move(event));
  }
  if (open_xid) pipeline.commit(XidPosition{*open_xid});
}

}  // namespace

TriggerSource::TriggerSource(PostgresTriggerSource options)
    : options_(std::move(options)), tables_(parse_table_names(options_.tables)) {}

void TriggerSource::run(Pipeline& pipeline, const Waker& stop) {
  Catalog catalog(options_.dsn);
  const auto tables = catalog.resolve(tables_, false);
  StreamInfo stream_info{"postgres-trigger:" + catalog.database_id(), {}};
  for (const auto& table : tables) stream_info.tables.push_back(table.table);
  pipeline.open(stream_info);
  std::vector<std::string> received;
  // Listen before the triggers exist, so nothing they send is missed.
  auto listener = catalog.guarded("cannot LISTEN", [&] {
    return std::make_unique<Listener>(catalog.connection(), received);
  });
  install_triggers(catalog, tables);
  streaming_ = true;
  logger().info("listening on {} for {} table(s)", kTriggerChannel, tables.size());
  while (!stop.woken()) {
    wait_for_socket(catalog.connection().sock(), {&stop}, std::chrono::seconds(10));
    catalog.guarded("listening for changes", [&] { catalog.connection().get_notifs(); });
    dispatch(received, tables, pipeline);
    received.clear();
  }
  pipeline.drain();
}

}  // namespace meowmx::internal

#include "capture/postgres/trigger_source.h"

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/notification>

#include "common/logger.h"
#include "capture/postgres/catalog.h"
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

// Notifications of one transaction arrive together and in order, and
// transactions in commit order: a change of xid ends a transaction.
void dispatch(const std::vector<std::string>& payloads, Pipeline& pipeline) {
  std::optional<std::uint64_t> open_xid;
  for (const auto& payload : payloads) {
    const auto message = nlohmann::json::parse(payload, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      logger().warn("ignoring a notification on {} that is not meowmx's: {}", kTriggerChannel, payload);
      continue;
    }
    ChangeEvent event;
    try {
      event.table = message.at("table").get<std::string>();
      event.action = parse_change_action(message.at("action").get<std::string>());
      event.pk = message.at("pk");
      event.xid = message.at("xid").get<std::uint64_t>();
      event.position = {{"xid", event.xid}, {"index", message.at("index")}};
    } catch (const std::exception& e) {
      logger().warn("ignoring a malformed notification on {}: {}", kTriggerChannel, e.what());
      continue;
    }
    if (message.value("pk_too_long", false)) {
      logger().warn("{}: the key did not fit in a notification and is sent as null", event.name());
    }
    if (open_xid && *open_xid != event.xid) pipeline.commit({{"xid", *open_xid}});
    open_xid = event.xid;
    pipeline.change(event);
  }
  if (open_xid) pipeline.commit({{"xid", *open_xid}});
}

}  // namespace

TriggerSource::TriggerSource(const PubOptions& options, std::vector<TableName> tables, const Waker& waker)
    : options_(options), tables_(std::move(tables)), waker_(waker) {}

void TriggerSource::run(Pipeline& pipeline) {
  Catalog catalog(options_.dsn);
  const auto tables = catalog.resolve(tables_, false);
  std::vector<std::string> received;
  // Listen before the triggers exist, so nothing they send is missed.
  auto listener = catalog.guarded("cannot LISTEN", [&] {
    return std::make_unique<Listener>(catalog.connection(), received);
  });
  install_triggers(catalog, tables);
  streaming_ = true;
  logger().info("listening on {} for {} table(s)", kTriggerChannel, tables.size());
  while (!waker_.woken()) {
    wait_for_socket(catalog.connection().sock(), &waker_, options_.status_interval);
    catalog.guarded("listening for changes", [&] { catalog.connection().get_notifs(); });
    dispatch(received, pipeline);
    received.clear();
  }
}

}  // namespace meowmx::internal

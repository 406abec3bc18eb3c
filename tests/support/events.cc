#include "support/events.h"

#include "support/test_cluster.h"

namespace meowmx::testing {

Client connect(const std::string& dsn, const std::string& application_name) {
  ClientOptions options;
  options.dsn = dsn;
  options.application_name = application_name;
  return Client(options);
}

std::string text_database() { return fresh_database(DatabaseOptions{true, AggregateIdType::kText}); }

std::vector<NewEvent> numbered_events(int count, int first, const std::string& event_type) {
  std::vector<NewEvent> events;
  for (int n = first; n < first + count; ++n) events.push_back(NewEvent{event_type, {{"n", n}}, nullptr, std::nullopt});
  return events;
}

void write_in_open_transaction(pqxx::transaction_base& tx, const std::string& type, const std::string& id,
                               int count) {
  tx.exec_params0(
      "INSERT INTO meowmx.aggregates (aggregate_type, aggregate_id, version)"
      " VALUES ($1, $2::meowmx.aggregate_id, $3::bigint)",
      type, id, count);
  tx.exec_params0(
      "INSERT INTO meowmx.events (aggregate_type, aggregate_id, version, event_type, json)"
      " SELECT $1, $2::meowmx.aggregate_id, v, 'Held', jsonb_build_object('n', v)"
      " FROM generate_series(0::bigint, $3::bigint - 1) AS v",
      type, id, count);
}

std::vector<std::int64_t> ids(const std::vector<RecordedEvent>& events) {
  std::vector<std::int64_t> out;
  out.reserve(events.size());
  for (const auto& event : events) out.push_back(event.id);
  return out;
}

}  // namespace meowmx::testing

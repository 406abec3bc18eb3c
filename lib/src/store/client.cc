#include "meowmx/client.h"

#include <algorithm>
#include <string>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "store/batch_encoding.h"
#include "pg/connection_errors.h"
#include "store/event_row.h"
#include "store/input_validation.h"
#include "store/log_query.h"
#include "common/logger.h"
#include "meowmx/aggregate.h"
#include "meowmx/error.h"
#include "store/save_statement.h"
#include "store/schema.h"
#include "store/utc_timestamp.h"
#include "pg/session.h"
#include "subscriptions/subscription_worker.h"
#include "subscriptions/wake_up.h"
#include "subscriptions/wake_up_sender.h"

namespace meowmx {
namespace {

const std::string kEventsByIdSql = std::string("SELECT ") + internal::kEventColumns +
    " FROM meowmx.events WHERE event_id IN (SELECT jsonb_array_elements_text($1::jsonb)::uuid)"
    " ORDER BY aggregate_type, aggregate_id, version";

const std::string kVersionSql =
    "SELECT coalesce((SELECT version FROM meowmx.aggregates"
    " WHERE aggregate_type = $1 AND aggregate_id = $2::meowmx.aggregate_id), 0)";

// `bounded`: with $4 the last version (NULL: none) and $5 a limit (NULL:
// none). A whole aggregate, the common load, goes without them: their
// generic plan checks both per row.
std::string load_sql(bool reverse, bool bounded) {
  return std::string("SELECT ") + internal::kEventColumns +
         " FROM meowmx.events WHERE aggregate_type = $1 AND aggregate_id = $2::meowmx.aggregate_id"
         " AND version >= $3" + (bounded ? " AND ($4::bigint IS NULL OR version <= $4::bigint)" : "") +
         " ORDER BY version " + (reverse ? "DESC" : "ASC") + (bounded ? " LIMIT $5::bigint" : "");
}

std::string load_statement_name(bool reverse, bool bounded) {
  return std::string("meowmx_load") + (reverse ? "_reverse" : "") + (bounded ? "_bounded" : "");
}

// Wakes every worker to look at its checkpoint, so one of a reset or deleted
// subscription notices at once.
const std::string kLookAgainSql = std::string("SELECT pg_notify('") + internal::kWakeUpChannel + "', '')";

const char* optional_param(const std::optional<std::string>& value) {
  return value ? value->c_str() : nullptr;
}

std::optional<std::string> optional_number(std::optional<std::int64_t> value) {
  if (!value) return std::nullopt;
  return std::to_string(*value);
}

// A save checked and encoded once, for every attempt.
struct SaveRequest {
  std::string_view aggregate_type;
  std::string_view aggregate_id;
  const std::vector<NewEvent>& events;
  ExpectedVersion version;
  internal::SaveShape shape = {};
  std::vector<internal::EncodedEvent> encoded = {};
  std::string batch = {};  // the events as one JSON array, for a batch
  std::optional<std::string> expected = std::nullopt;
};

// Where a save runs: a transaction of its own, or the caller's.
enum class SaveIn { kOwnTransaction, kCallersTransaction };

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions options) : session(std::move(options)) {}

  internal::Session session;
  std::optional<AggregateIdType> id_type;  // read once, on first use
  std::shared_ptr<internal::WakeUpSender> wake_up_sender;  // on the first notifying save

  template <typename Fn>
  auto guarded(std::string_view context, Fn&& fn) {
    return session.guarded(context, std::forward<Fn>(fn));
  }
  pqxx::connection& connection() { return session.connection(); }

  // `open`: the transaction already open on the connection, if any.
  AggregateIdType aggregate_id_type(pqxx::transaction_base* open = nullptr) {
    if (!id_type) {
      if (open) {
        id_type = internal::installed_aggregate_id_type(*open);
      } else {
        pqxx::nontransaction tx(connection());
        id_type = internal::installed_aggregate_id_type(tx);
      }
      if (!id_type) throw Error(internal::kSchemaNotSetUp);
    }
    return *id_type;
  }

  // Everything a save checks before it asks the server.
  SaveRequest prepare_save(std::string_view type, std::string_view id, const std::vector<NewEvent>& events,
                           ExpectedVersion version) {
    internal::check_name("aggregate type", type);
    internal::check_new_events(events);
    SaveRequest request{.aggregate_type = type, .aggregate_id = id, .events = events, .version = version};
    request.shape = {.batch = events.size() > 1,
                     .may_create = version.is_any() || version.value() == 0,
                     .event_ids = std::any_of(events.begin(), events.end(),
                                              [](const NewEvent& event) { return event.event_id.has_value(); })};
    // One event, the common case, goes as plain parameters; a batch as one JSON array.
    request.encoded = internal::encode_events(events, session.options().max_event_bytes);
    if (request.shape.batch) request.batch = internal::batch_parameter(events, request.encoded);
    if (!version.is_any()) request.expected = version.to_string();
    return request;
  }

  // Runs the save statement in `tx`; returns the recorded events, or nullopt
  // when it wrote nothing (see explain_empty_save()).
  std::optional<std::vector<RecordedEvent>> write(pqxx::transaction_base& tx, const SaveRequest& request,
                                                  SaveIn where) {
    const std::string statement = internal::save_statement_name(request.shape);
    const std::string type(request.aggregate_type);
    const std::string id(request.aggregate_id);
    pqxx::result result;
    try {
      const NewEvent& first = request.events.front();
      const internal::EncodedEvent& encoded = request.encoded.front();
      result = request.shape.batch
                   ? tx.exec_prepared(statement, type, id, optional_param(request.expected), request.batch,
                                      static_cast<std::int64_t>(request.events.size()))
                   : tx.exec_prepared(statement, type, id, optional_param(request.expected), first.event_type,
                                      encoded.json, encoded.metadata.empty() ? nullptr : encoded.metadata.c_str(),
                                      optional_param(first.event_id));
    } catch (const pqxx::unique_violation&) {
      // A concurrent write recorded the same event ids first. In a
      // transaction of our own, explain_empty_save() tells what happened; the
      // caller's is aborted now, and only a run of it again can tell.
      if (where == SaveIn::kOwnTransaction) return std::nullopt;
      throw VersionConflict("an event id of this save was recorded by a concurrent write meanwhile; the "
                                "transaction is aborted: roll it back and run it again",
                            request.version.is_any() ? -1 : request.version.value(), -1);
    }
    if (result.empty()) return std::nullopt;
    internal::logger().debug("saved {} event(s) to {}/{}", result.size(), type, id);
    if (session.options().notify) {
      if (where == SaveIn::kOwnTransaction) {
        wake_subscribers(tx, type, id, result);
      } else {
        tx.exec_prepared("meowmx_wake_subscribers_at_commit", type, id);
      }
    }
    return internal::recorded_batch(type, id, request.events, request.encoded, result);
  }

  // After a save committed: its wake-up, sent at once when no other is on its
  // way (the leading one), else queued for the process's wake-up sender. The
  // events are stored whatever happens here, so a failure is logged, not
  // thrown: a caller told the save failed might write the events twice.
  // Workers not woken find the events when they poll. `tx` is the save's (in
  // autocommit, each statement commits on its own); `saved` holds the save's
  // returned rows, the transaction id among them.
  void wake_subscribers(pqxx::transaction_base& tx, const std::string& type, const std::string& id,
                        const pqxx::result& saved) noexcept {
    try {
      if (!wake_up_sender) wake_up_sender = internal::WakeUpSender::for_client(session.options());
      const char* tx_id = saved[0][1].c_str();
      bool sent = false;
      if (wake_up_sender->begin_leading()) {
        try {
          tx.exec_prepared("meowmx_wake_subscribers",
                           nlohmann::json{{{"tx", tx_id}, {"type", type}, {"id", id}}}.dump());
          sent = true;
        } catch (const std::exception& e) {
          internal::logger().debug("wake-up not sent on the save's connection ({}); queued",
                                   internal::redact(internal::one_line(e.what()), session.options().dsn));
        }
        wake_up_sender->end_leading();
      }
      if (!sent) wake_up_sender->queue(tx_id, type, id);
    } catch (const std::exception& e) {
      internal::logger().warn("saved, but could not wake the subscribers: {}",
                              internal::redact(internal::one_line(e.what()), session.options().dsn));
    }
  }

  // Why a save wrote nothing: an idempotent retry (returns its events), or a
  // conflict (throws). Returns nullopt when the aggregate is free again (an
  // `any` append that lost the race to create the aggregate): save again.
  std::optional<std::vector<RecordedEvent>> explain_empty_save(pqxx::transaction_base& tx,
                                                               const SaveRequest& request) {
    const std::string_view type = request.aggregate_type;
    const std::string_view id = request.aggregate_id;
    const std::vector<NewEvent>& events = request.events;
    const ExpectedVersion& version = request.version;
    auto ids = nlohmann::json::array();
    for (const auto& event : events) {
      if (event.event_id) ids.push_back(*event.event_id);
    }
    if (!ids.empty()) {
      auto recorded = internal::events_from_result(tx.exec_params(kEventsByIdSql, ids.dump()));
      if (!recorded.empty()) {
        const auto elsewhere = std::find_if(recorded.begin(), recorded.end(), [&](const RecordedEvent& e) {
          return e.aggregate_type != type || e.aggregate_id != id;
        });
        if (elsewhere == recorded.end() && recorded.size() == events.size()) return recorded;
        const RecordedEvent& first = elsewhere == recorded.end() ? recorded.front() : *elsewhere;
        const std::string where = "event id " + first.event_id.value_or("") + " is already recorded as " +
                                  first.aggregate_type + "/" + first.aggregate_id + " version " +
                                  std::to_string(first.version);
        throw VersionConflict(
            elsewhere != recorded.end()
                ? where + " by another write"
                : "not an identical retry: " + where + ", but only " + std::to_string(recorded.size()) +
                      " of this batch's " + std::to_string(events.size()) +
                      " events are recorded under its event ids; retry a batch only as first saved, "
                      "with an event_id on every event",
            version.is_any() ? -1 : version.value(), first.version);
      }
    }
    const auto actual = tx.exec_params1(kVersionSql, std::string(type), std::string(id))[0]
                            .as<std::int64_t>();
    if (version.is_any()) return std::nullopt;
    throw VersionConflict("version conflict on " + std::string(type) + "/" + std::string(id) +
                              ": expected " + std::to_string(version.value()) +
                              " events already stored, found " + std::to_string(actual),
                          version.value(), actual);
  }

  // Writes the save, through `with_transaction(fn)`, which runs fn in the
  // transaction a step is to use.
  template <typename WithTransaction>
  std::vector<RecordedEvent> save(const SaveRequest& request, SaveIn where, WithTransaction with_transaction) {
    // An `any` append can lose the race to create a new aggregate once; after
    // that the row exists and the UPDATE path serialises on its lock.
    for (int attempt = 0;; ++attempt) {
      if (auto saved = with_transaction([&](pqxx::transaction_base& tx) { return write(tx, request, where); })) {
        return *saved;
      }
      if (auto recorded =
              with_transaction([&](pqxx::transaction_base& tx) { return explain_empty_save(tx, request); })) {
        return *recorded;
      }
      if (attempt > 0) {
        throw Error("save to " + std::string(request.aggregate_type) + "/" + std::string(request.aggregate_id) +
                    " kept losing races; try again");
      }
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  auto& session = impl_->session;
  for (const internal::SaveShape& shape : internal::kSaveShapes) {
    session.prepare(internal::save_statement_name(shape), internal::save_statement_sql(shape));
  }
  session.prepare("meowmx_wake_subscribers", internal::kWakeUpBatchSql);
  session.prepare("meowmx_wake_subscribers_at_commit", internal::kWakeUpAtCommitSql);
  for (const bool reverse : {false, true}) {
    for (const bool bounded : {false, true}) {
      session.prepare(load_statement_name(reverse, bounded), load_sql(reverse, bounded));
    }
  }
  internal::LogPage page{.after_tx_id = "$1::xid8", .after_id = "$2::bigint", .limit = "$3::bigint"};
  session.prepare("meowmx_read", internal::log_page_sql(page, internal::kEventColumns));
  page.categories = "$4::text[]";
  session.prepare("meowmx_read_category", internal::log_page_sql(page, internal::kEventColumns));
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

void Client::setup(const SetupOptions& options) {
  impl_->guarded("setup failed", [&] {
    internal::apply_migrations(impl_->connection(), options);
    impl_->id_type.reset();
  });
}

AggregateIdType Client::aggregate_id_type() {
  return impl_->guarded("", [&] { return impl_->aggregate_id_type(); });
}

std::vector<RecordedEvent> Client::save(std::string_view aggregate_type, std::string_view aggregate_id,
                                        const std::vector<NewEvent>& events, ExpectedVersion version) {
  const SaveRequest request = impl_->prepare_save(aggregate_type, aggregate_id, events, version);
  return impl_->guarded("save failed", [&] {
    internal::check_aggregate_id(impl_->aggregate_id_type(), aggregate_id);
    return impl_->save(request, SaveIn::kOwnTransaction, [&](const auto& step) {
      pqxx::nontransaction tx(impl_->connection());
      return step(tx);
    });
  });
}

std::vector<RecordedEvent> Client::save(pqxx::transaction_base& tx, std::string_view aggregate_type,
                                        std::string_view aggregate_id, const std::vector<NewEvent>& events,
                                        ExpectedVersion version) {
  const SaveRequest request = impl_->prepare_save(aggregate_type, aggregate_id, events, version);
  if (&tx.conn() != &impl_->connection()) {
    throw InvalidArgument("save(tx, ...) needs a transaction on this client's connection (Client::connection())");
  }
  return impl_->guarded("save failed", [&] {
    internal::check_aggregate_id(impl_->aggregate_id_type(&tx), aggregate_id);
    return impl_->save(request, SaveIn::kCallersTransaction, [&](const auto& step) { return step(tx); });
  });
}

std::vector<RecordedEvent> Client::load(std::string_view aggregate_type, std::string_view aggregate_id,
                                        const LoadOptions& options) {
  internal::check_name("aggregate type", aggregate_type);
  if (options.from_version < 0) throw InvalidArgument("from_version must not be negative");
  if (options.to_version && *options.to_version < options.from_version) {
    throw InvalidArgument("to_version must not be below from_version");
  }
  if (options.limit && *options.limit < 0) throw InvalidArgument("limit must not be negative");
  return impl_->guarded("load failed", [&] {
    internal::check_aggregate_id(impl_->aggregate_id_type(), aggregate_id);
    pqxx::nontransaction tx(impl_->connection());
    const std::string type(aggregate_type);
    const std::string id(aggregate_id);
    if (!options.to_version && !options.limit) {
      return internal::events_from_result(
          tx.exec_prepared(load_statement_name(options.reverse, false), type, id, options.from_version));
    }
    const auto to_version = optional_number(options.to_version);
    const auto limit = optional_number(options.limit);
    return internal::events_from_result(tx.exec_prepared(load_statement_name(options.reverse, true), type, id,
                                                         options.from_version, optional_param(to_version),
                                                         optional_param(limit)));
  });
}

std::vector<RecordedEvent> Client::read(const ReadOptions& options) {
  for (const auto& category : options.categories) internal::check_name("category", category);
  if (options.limit <= 0) throw InvalidArgument("read limit must be positive");
  return impl_->guarded("read failed", [&] {
    pqxx::nontransaction tx(impl_->connection());
    const std::string tx_id = std::to_string(options.after.tx_id);
    if (options.categories.empty()) {
      return internal::events_from_result(
          tx.exec_prepared("meowmx_read", tx_id, options.after.id, options.limit));
    }
    return internal::events_from_result(tx.exec_prepared("meowmx_read_category", tx_id,
                                                         options.after.id, options.limit,
                                                         internal::text_array_literal(options.categories)));
  });
}

void Client::save(Aggregate& aggregate) {
  if (aggregate.pending_events().empty()) return;
  aggregate.mark_saved(save(aggregate.type(), aggregate.id(), aggregate.pending_events(), aggregate.version()));
}

void Client::save(pqxx::transaction_base& tx, Aggregate& aggregate) {
  if (aggregate.pending_events().empty()) return;
  aggregate.mark_saved(
      save(tx, aggregate.type(), aggregate.id(), aggregate.pending_events(), aggregate.version()));
}

void Client::load(Aggregate& aggregate) {
  aggregate.replace_with(load(aggregate.type(), aggregate.id()));
}

pqxx::connection& Client::connection() { return impl_->connection(); }

void Client::subscribe(std::string_view name, const SubscriptionOptions& options, BatchHandler handler,
                       std::stop_token stop) {
  internal::SubscriptionWorker worker(impl_->session, std::string(name), options, std::move(handler),
                                      std::move(stop));
  impl_->guarded("subscription " + std::string(name), [&] { worker.run(); });
}

std::vector<SubscriptionStatus> Client::subscription_status() {
  return impl_->guarded("status failed", [&] {
    pqxx::nontransaction tx(impl_->connection());
    std::vector<SubscriptionStatus> out;
    for (const auto& row : tx.exec(
             "SELECT name, group_member, group_size, array_to_json(categories)::text, checkpoint,"
             " delivered, events_behind, seconds_behind, held_back, coalesce(worker, ''), worker_alive,"
             " updated_at,"
             " events_behind_exact, held_back_exact, dead_letters"
             " FROM meowmx.subscription_status ORDER BY name, group_member")) {
      SubscriptionStatus s;
      s.name = row[0].as<std::string>();
      s.group_member = row[1].as<int>();
      s.group_size = row[2].as<int>();
      s.categories = nlohmann::json::parse(row[3].c_str()).get<std::vector<std::string>>();
      s.checkpoint = row[4].as<std::string>();
      s.delivered = row[5].as<std::int64_t>();
      s.events_behind = row[6].as<std::int64_t>();
      s.seconds_behind = row[7].as<double>();
      s.held_back = row[8].as<std::int64_t>();
      s.worker = row[9].as<std::string>();
      s.worker_alive = row[10].as<bool>();
      s.updated_at = internal::utc_timestamp({row[11].c_str(), row[11].size()});
      s.events_behind_exact = row[12].as<bool>();
      s.held_back_exact = row[13].as<bool>();
      s.dead_letters = row[14].as<std::int64_t>();
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::vector<HorizonHolder> Client::horizon_holders() {
  return impl_->guarded("status failed", [&] {
    pqxx::nontransaction tx(impl_->connection());
    std::vector<HorizonHolder> out;
    // Our own session shows up when it holds an xid; it never does here.
    for (const auto& row : tx.exec(
             "SELECT pid, xid, extract(epoch FROM age)::double precision, coalesce(state, ''),"
             " coalesce(application_name, ''), coalesce(query, ''), coalesce(database, ''),"
             " coalesce(user_name, '') FROM meowmx.xmin_horizon")) {
      HorizonHolder h;
      if (!row[0].is_null()) h.pid = row[0].as<int>();
      h.xid = row[1].as<std::string>();
      h.age_seconds = row[2].is_null() ? 0 : row[2].as<double>();
      h.state = row[3].as<std::string>();
      h.application_name = row[4].as<std::string>();
      h.query = row[5].as<std::string>();
      h.database = row[6].as<std::string>();
      h.user_name = row[7].as<std::string>();
      out.push_back(std::move(h));
    }
    return out;
  });
}

void Client::reset_subscription(std::string_view name, StartFrom to) {
  internal::check_name("subscription name", name);
  impl_->guarded("reset failed", [&] {
    pqxx::nontransaction tx(impl_->connection());
    const auto result = tx.exec_params(
        "UPDATE meowmx.subscriptions SET"
        " last_tx_id = CASE WHEN $2 THEN (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)"
        "::text::xid8 ELSE '0'::xid8 END,"
        " last_id = CASE WHEN $2 THEN 9223372036854775807 ELSE 0 END, delivered = 0, updated_at = now()"
        " WHERE name = $1",
        std::string(name), to == StartFrom::kNow);
    if (result.affected_rows() == 0) {
      throw InvalidArgument("no subscription named '" + std::string(name) + "'");
    }
    tx.exec(kLookAgainSql);
  });
}

void Client::delete_subscription(std::string_view name) {
  internal::check_name("subscription name", name);
  impl_->guarded("delete failed", [&] {
    pqxx::work tx(impl_->connection());
    const auto result =
        tx.exec_params("DELETE FROM meowmx.subscriptions WHERE name = $1", std::string(name));
    if (result.affected_rows() == 0) {
      throw InvalidArgument("no subscription named '" + std::string(name) + "'");
    }
    tx.exec_params("DELETE FROM meowmx.dead_letters WHERE subscription = $1", std::string(name));
    tx.exec(kLookAgainSql);
    tx.commit();
  });
}

}  // namespace meowmx

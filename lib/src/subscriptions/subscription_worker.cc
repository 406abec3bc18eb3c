#include "subscriptions/subscription_worker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include <pqxx/pqxx>

#include "pg/connection_errors.h"
#include "store/event_row.h"
#include "store/input_validation.h"
#include "store/log_query.h"
#include "common/logger.h"
#include "meowmx/error.h"
#include "subscriptions/subscription_round.h"

namespace meowmx::internal {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kFirstPoll{10};
constexpr const char* kChannel = "meowmx_events";

// Transaction ids count up from 3, so "just below the current xmin" is a
// position before every event of a running or future transaction.
const char* kCreateSql = R"sql(
INSERT INTO meowmx.subscriptions (name, group_member, group_size, categories, last_tx_id, last_id)
SELECT $1, $2, $3, $4::text[],
       CASE WHEN $5 THEN (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text::xid8
            ELSE '0'::xid8 END,
       CASE WHEN $5 THEN 9223372036854775807 ELSE 0 END
ON CONFLICT (name, group_member) DO NOTHING)sql";

const char* kLockSql =
    "SELECT last_tx_id::text, last_id FROM meowmx.subscriptions"
    " WHERE name = $1 AND group_member = $2 FOR UPDATE SKIP LOCKED";

const char* kCheckpointSql =
    "UPDATE meowmx.subscriptions SET last_tx_id = $3::xid8, last_id = $4,"
    " delivered = delivered + $5, worker = $6, worker_backend_pid = pg_backend_pid(),"
    " updated_at = now() WHERE name = $1 AND group_member = $2";

const char* kDeadLetterSql =
    "INSERT INTO meowmx.dead_letters (subscription, group_member, event_global_id, event_tx_id,"
    " attempts, error) VALUES ($1, $2, $3, $4::xid8, $5, $6)";

std::string host_and_pid() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

// Thrown around a handler's own exception, so it is not mistaken for ours.
struct HandlerError {
  Position first;  // the failed batch's bounds
  Position last;
  std::string message;
};

}  // namespace

class SubscriptionWorker::Wakeups : public pqxx::notification_receiver {
 public:
  explicit Wakeups(pqxx::connection_base& connection) : notification_receiver(connection, kChannel) {}
  void operator()(const std::string&, int) override { notified = true; }
  bool notified = false;
};

SubscriptionWorker::SubscriptionWorker(Session& session, std::string name, SubscriptionOptions options,
                                       BatchHandler handler, std::stop_token stop)
    : session_(session),
      name_(std::move(name)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      stop_(std::move(stop)),
      worker_label_(host_and_pid()),
      categories_literal_(text_array_literal(options_.categories)) {
  check_name("subscription name", name_);
  for (const auto& category : options_.categories) check_name("category", category);
  if (options_.batch_size < 1) throw InvalidArgument("batch size must be at least 1");
  if (options_.group_size < 1 || options_.group_member < 0 ||
      options_.group_member >= options_.group_size) {
    throw InvalidArgument("group member must be in [0, group size)");
  }
  if (options_.retry.max_attempts < 1) throw InvalidArgument("max attempts must be at least 1");
  if (!handler_) throw InvalidArgument("a subscription needs a handler");
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) throw Error("cannot create an eventfd");
}

SubscriptionWorker::~SubscriptionWorker() {
  wakeups_.reset();
  close(stop_fd_);
}

void SubscriptionWorker::prepare_statements() {
  auto& connection = session_.connection();
  const RoundFilter filter{.by_category = !options_.categories.empty(), .by_group = options_.group_size > 1};
  round_statement_ = subscription_round_name(filter);
  connection.prepare(round_statement_, subscription_round_sql(filter));
  connection.prepare("meowmx_sub_lock", kLockSql);
  connection.prepare("meowmx_sub_checkpoint", kCheckpointSql);
}

void SubscriptionWorker::listen() {
  wakeups_.reset();
  wakeups_ = std::make_unique<Wakeups>(session_.connection());
}

void SubscriptionWorker::create_or_check_subscription() {
  pqxx::work tx(session_.connection());
  std::vector<std::string> sorted = options_.categories;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  const std::string categories = text_array_literal(sorted);
  tx.exec_params(kCreateSql, name_, options_.group_member, options_.group_size, categories,
                 options_.start == StartFrom::kNow);
  const auto rows = tx.exec_params(
      "SELECT DISTINCT group_size, categories::text FROM meowmx.subscriptions WHERE name = $1", name_);
  for (const auto& row : rows) {
    if (row[0].as<int>() != options_.group_size || row[1].as<std::string>() != categories) {
      throw InvalidArgument("subscription '" + name_ + "' exists with group size " +
                            row[0].as<std::string>() + " and categories " +
                            row[1].as<std::string>() + "; this worker asked for group size " +
                            std::to_string(options_.group_size) + " and categories " + categories +
                            " (reset or delete it to change)");
    }
  }
  tx.commit();
}

pqxx::result SubscriptionWorker::read_page(pqxx::work& tx, std::int64_t limit) {
  const bool by_category = !options_.categories.empty();
  const bool by_group = options_.group_size > 1;
  if (by_category && by_group) {
    return tx.exec_prepared(round_statement_, name_, options_.group_member, limit, categories_literal_,
                            options_.group_size);
  }
  if (by_category) {
    return tx.exec_prepared(round_statement_, name_, options_.group_member, limit, categories_literal_);
  }
  if (by_group) {
    return tx.exec_prepared(round_statement_, name_, options_.group_member, limit, options_.group_size);
  }
  return tx.exec_prepared(round_statement_, name_, options_.group_member, limit);
}

SubscriptionWorker::Round SubscriptionWorker::run_round() {
  pqxx::work tx(session_.connection());
  const std::int64_t limit = isolate_until_ ? 1 : options_.batch_size;
  pqxx::result rows = read_page(tx, limit);
  if (rows.empty()) {
    // Caught up, or the checkpoint was locked by another worker; asked only
    // now, so a round with events takes one round trip. That worker may have
    // let go since: holding the lock now, read again before saying caught up.
    if (tx.exec_prepared("meowmx_sub_lock", name_, options_.group_member).empty()) return Round::kStandby;
    rows = read_page(tx, limit);
    if (rows.empty()) {
      isolate_until_.reset();  // nothing left of the batch being isolated
      return Round::kCaughtUp;
    }
  }
  const auto batch = events_from_result(rows);

  try {
    handler_(batch, tx);
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    throw HandlerError{batch.front().position(), batch.back().position(), one_line(e.what())};
  } catch (...) {
    throw HandlerError{batch.front().position(), batch.back().position(), "unknown exception"};
  }
  // The handler's work and the checkpoint's move commit together or not at all.
  const Position last = batch.back().position();
  tx.exec_prepared("meowmx_sub_checkpoint", name_, options_.group_member, std::to_string(last.tx_id),
                   last.id, static_cast<std::int64_t>(batch.size()), worker_label_);
  tx.commit();
  if (isolate_until_ && last >= *isolate_until_) isolate_until_.reset();
  if (failing_event_ && last >= *failing_event_) {
    failing_event_.reset();
    attempts_ = 0;
  }
  logger().debug("subscription {}: delivered {} event(s) up to {}", name_, batch.size(), last.to_string());
  return Round::kDelivered;
}

void SubscriptionWorker::on_handler_failure(const Position& first, const Position& last,
                                            const std::string& error) {
  if (!isolate_until_ && first != last) {
    // Which event of the batch failed is unknown: go one at a time.
    logger().warn("subscription {}: handler failed on a batch ({}); retrying event by event", name_, error);
    isolate_until_ = last;
    return;
  }
  if (failing_event_ != first) {
    failing_event_ = first;
    attempts_ = 0;
  }
  ++attempts_;
  if (attempts_ < options_.retry.max_attempts) {
    auto backoff = options_.retry.initial_backoff * (1 << std::min(attempts_ - 1, 20));
    backoff = std::min<milliseconds>(backoff, options_.retry.max_backoff);
    logger().warn("subscription {}: handler failed on event {} (attempt {} of {}): {}; retrying in {} ms",
                  name_, first.to_string(), attempts_, options_.retry.max_attempts, error, backoff.count());
    wait(backoff);
    return;
  }
  if (options_.retry.on_failure == OnHandlerFailure::kStop) {
    throw HandlerFailed("subscription " + name_ + ": handler failed " + std::to_string(attempts_) +
                        " time(s) on event " + first.to_string() + ": " + error);
  }
  park_dead_letter(first, error);
}

void SubscriptionWorker::park_dead_letter(const Position& event, const std::string& error) {
  pqxx::work tx(session_.connection());
  const auto lock = tx.exec_prepared("meowmx_sub_lock", name_, options_.group_member);
  if (lock.empty()) return;  // another worker took over; it will decide
  tx.exec_params(kDeadLetterSql, name_, options_.group_member, event.id, std::to_string(event.tx_id),
                 attempts_, error);
  tx.exec_prepared("meowmx_sub_checkpoint", name_, options_.group_member, std::to_string(event.tx_id),
                   event.id, 0, worker_label_);
  tx.commit();
  logger().error("subscription {}: event {} parked in meowmx.dead_letters after {} attempt(s): {}", name_,
                 event.to_string(), attempts_, error);
  failing_event_.reset();
  attempts_ = 0;
}

void SubscriptionWorker::wait(milliseconds timeout) {
  auto& connection = session_.connection();
  connection.get_notifs();
  if (wakeups_->notified || stop_.stop_requested()) {
    wakeups_->notified = false;
    return;
  }
  pollfd fds[2] = {{connection.sock(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  poll(fds, 2, static_cast<int>(timeout.count()));
  connection.get_notifs();
  wakeups_->notified = false;
}

void SubscriptionWorker::reconnect_with_backoff() {
  milliseconds backoff{100};
  wakeups_.reset();
  while (!stop_.stop_requested()) {
    try {
      session_.reconnect();
      prepare_statements();
      listen();
      logger().info("subscription {}: reconnected; resuming from the checkpoint", name_);
      return;
    } catch (const ConnectionError& e) {
      logger().warn("subscription {}: {}; retrying in {} ms", name_, e.what(), backoff.count());
    }
    pollfd stop_fd{stop_fd_, POLLIN, 0};
    poll(&stop_fd, 1, static_cast<int>(backoff.count()));
    backoff = std::min<milliseconds>(backoff * 2, options_.max_reconnect_backoff);
  }
}

void SubscriptionWorker::run() {
  std::stop_callback on_stop(stop_, [this] {
    const std::uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
  });
  session_.guarded("subscription " + name_, [&] {
    create_or_check_subscription();
    prepare_statements();
    listen();
  });
  milliseconds idle = kFirstPoll;
  while (!stop_.stop_requested()) {
    try {
      Round round = Round::kDelivered;
      try {
        round = run_round();
      } catch (const HandlerError& e) {
        // run_round's transaction has rolled back: nothing of the batch stays.
        on_handler_failure(e.first, e.last, e.message);
        continue;
      }
      if (round == Round::kDelivered) {
        idle = kFirstPoll;
        continue;
      }
      if (round == Round::kCaughtUp && options_.stop_when_caught_up) return;
      wait(round == Round::kStandby ? std::min<milliseconds>(options_.max_sleep, milliseconds{500}) : idle);
      idle = std::min<milliseconds>(idle * 2, options_.max_sleep);
    } catch (const pqxx::broken_connection& e) {
      logger().warn("subscription {}: connection lost ({})", name_,
                    redact(one_line(e.what()), session_.options().dsn));
      reconnect_with_backoff();
    } catch (const pqxx::in_doubt_error& e) {
      // The commit's outcome is unknown; the checkpoint in the database says
      // which it was, and the next round reads it.
      logger().warn("subscription {}: commit in doubt ({})", name_,
                    redact(one_line(e.what()), session_.options().dsn));
      reconnect_with_backoff();
    }
  }
}

}  // namespace meowmx::internal

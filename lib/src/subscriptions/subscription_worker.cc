#include "subscriptions/subscription_worker.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <string_view>

#include <pqxx/pqxx>

#include "common/logger.h"
#include "meowmx/error.h"
#include "pg/connection_errors.h"
#include "store/event_row.h"
#include "store/input_validation.h"
#include "store/log_query.h"
#include "subscriptions/subscription_round.h"

namespace meowmx::internal {
namespace {

using std::chrono::milliseconds;
// First interval of the polls that wait for a notified event the horizon
// still holds back (its writer committed, an older transaction still runs).
constexpr milliseconds kFirstPoll{10};
// A standby worker asks this often at most whether the member is free.
constexpr milliseconds kStandbyPoll{500};
// A worker waiting for another's index build asks this often.
constexpr milliseconds kBuildLockPoll{100};
const char* kTryBuildLockSql = "SELECT pg_try_advisory_lock(hashtext('meowmx.events_member_of'), 0)";
const char* kBuildUnlockSql = "SELECT pg_advisory_unlock(hashtext('meowmx.events_member_of'), 0)";
// Catch-up pages grow up to this many batches, handled in one transaction,
// while the last page's payloads came to at most half of kMaxGrownPageBytes,
// and shrink again beyond it (pages of large events stay near batch_size).
constexpr std::int64_t kMaxPageBatches = 16;
constexpr std::size_t kMaxGrownPageBytes = 16 << 20;

std::size_t payload_bytes(const std::vector<RecordedEvent>& page) {
  std::size_t bytes = 0;
  for (const auto& event : page) bytes += event.json_text.size() + event.metadata_text.size();
  return bytes;
}

// Transaction ids count up from 3, so "just below the current xmin" is a
// position before every event of a running or future transaction.
const char* kCreateSql = R"sql(
INSERT INTO meowmx.subscriptions (name, group_member, group_size, categories, last_tx_id, last_id)
SELECT $1, $2, $3, $4::text[],
       CASE WHEN $5 THEN (pg_snapshot_xmin(pg_current_snapshot())::text::numeric - 1)::text::xid8
            ELSE '0'::xid8 END,
       CASE WHEN $5 THEN 9223372036854775807 ELSE 0 END
ON CONFLICT (name, group_member) DO NOTHING)sql";

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
  if (options_.max_sleep < kMinMaxSleep) {
    throw InvalidArgument("max sleep must be at least " + std::to_string(kMinMaxSleep.count()) + " ms");
  }
  if (!handler_) throw InvalidArgument("a subscription needs a handler");
}

SubscriptionWorker::~SubscriptionWorker() {
  release();
  wakeups_.reset();
}

void SubscriptionWorker::prepare_statements() {
  auto& connection = session_.connection();
  const RoundFilter filter{.by_category = !options_.categories.empty(),
                           .group_size = options_.group_size,
                           .group_member = options_.group_member};
  round_statement_ = subscription_round_name(filter);
  connection.prepare(round_statement_, subscription_round_sql(filter));
  connection.prepare("meowmx_sub_claim", kClaimSql);
  connection.prepare("meowmx_sub_release", kReleaseSql);
  connection.prepare("meowmx_sub_checkpoint", kCheckpointSql);
  connection.prepare("meowmx_sub_move_checkpoint", kMoveCheckpointSql);
}

void SubscriptionWorker::listen() { wakeups_ = std::make_unique<WorkerWakeups>(session_, options_); }

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
                            " (categories and group size are fixed: delete the subscription to change them)");
    }
  }
  tx.commit();
}

bool SubscriptionWorker::claim() {
  {
    pqxx::nontransaction tx(session_.connection());
    if (!tx.exec_prepared1("meowmx_sub_claim", name_, options_.group_member)[0].as<bool>()) return false;
  }
  claimed_ = true;
  // A statement after the claim, so its snapshot sees the last commit of the
  // worker that held the member before.
  reload_checkpoint();
  logger().debug("subscription {}: member {} claimed at {}", name_, options_.group_member,
                 checkpoint_.to_string());
  return true;
}

void SubscriptionWorker::release() noexcept {
  if (!claimed_) return;
  claimed_ = false;
  try {
    pqxx::nontransaction tx(session_.connection());
    tx.exec_prepared("meowmx_sub_release", name_, options_.group_member);
  } catch (const std::exception&) {
    // The connection is gone, and the lock with it.
  }
}

bool SubscriptionWorker::reload_checkpoint() {
  pqxx::nontransaction tx(session_.connection());
  const auto rows = tx.exec_prepared("meowmx_sub_checkpoint", name_, options_.group_member);
  if (rows.empty()) {
    throw Error("subscription '" + name_ + "' (member " + std::to_string(options_.group_member) +
                ") was deleted while this worker ran");
  }
  const Position stored = Position::parse(rows[0][0].as<std::string>() + ":" + rows[0][1].as<std::string>());
  if (stored == checkpoint_) return false;
  checkpoint_ = stored;
  return true;
}

pqxx::result SubscriptionWorker::read_page(pqxx::transaction_base& tx, std::int64_t limit) {
  const std::string after_tx_id = std::to_string(checkpoint_.tx_id);
  if (options_.categories.empty()) return tx.exec_prepared(round_statement_, after_tx_id, checkpoint_.id, limit);
  return tx.exec_prepared(round_statement_, after_tx_id, checkpoint_.id, limit, categories_literal_);
}

bool SubscriptionWorker::ensure_group_index() {
  if (options_.group_size == 1) return true;
  const std::string index = group_index_name(options_.group_size, options_.group_member);
  pqxx::nontransaction tx(session_.connection());
  const auto valid = [&] {
    const auto rows = tx.exec_params(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('meowmx.' || $1)", index);
    return rows.empty() ? std::optional<bool>() : std::optional<bool>(rows[0][0].as<bool>());
  };
  if (valid() == true) return true;
  // One build at a time on meowmx.events: two would wait for each other's
  // transactions. Asked for without waiting in the statement, whose snapshot
  // the running build would wait for in turn.
  while (!tx.exec(kTryBuildLockSql)[0][0].as<bool>()) {
    if (stop_.stop_requested()) return false;
    stop_waker_.wait_for(kBuildLockPoll);
  }
  struct BuildUnlock {
    pqxx::nontransaction& session;
    ~BuildUnlock() {
      try {
        session.exec(kBuildUnlockSql);
      } catch (const std::exception&) {
        // The connection is gone, and the lock with it.
      }
    }
  } unlock{tx};
  const std::optional<bool> found = valid();
  if (found == true) return true;
  if (found == false) tx.exec("DROP INDEX CONCURRENTLY IF EXISTS meowmx." + index);  // a build cut short
  logger().info("subscription {}: building index meowmx.{} for member {} of {}", name_, index,
                options_.group_member, options_.group_size);
  tx.exec(group_index_sql(options_.group_size, options_.group_member));
  return true;
}

bool SubscriptionWorker::move_checkpoint(pqxx::work& tx, const Position& to, std::int64_t delivered) {
  return !tx.exec_prepared("meowmx_sub_move_checkpoint", name_, options_.group_member,
                           std::to_string(checkpoint_.tx_id), checkpoint_.id, std::to_string(to.tx_id), to.id,
                           delivered, worker_label_, options_.durable_commits)
              .empty();
}

void SubscriptionWorker::take_over_moved_checkpoint() {
  reload_checkpoint();
  logger().info("subscription {}: the checkpoint was moved by someone else (a reset); going on from {}",
                name_, checkpoint_.to_string());
  isolate_until_.reset();
  failing_event_.reset();
  attempts_ = 0;
  page_batches_ = 1;
}

SubscriptionWorker::Round SubscriptionWorker::run_round() {
  if (!claimed_ && !claim()) return Round::kStandby;
  const std::int64_t limit = isolate_until_ ? 1 : options_.batch_size * page_batches_;
  // One transaction reads the page, runs the handler and moves the
  // checkpoint. It takes an id when the handler or the checkpoint writes, not
  // before (a read gives it none), so nobody waits for a slow handler that has
  // not written yet.
  pqxx::work tx(session_.connection());
  std::vector<RecordedEvent> page = events_from_result(read_page(tx, limit));
  if (page.empty()) {
    tx.commit();  // it wrote nothing
    isolate_until_.reset();  // nothing left of the batch being isolated
    page_batches_ = 1;
    // Idle: the moment to notice a reset (go on from there at once) or a delete.
    return reload_checkpoint() ? Round::kFullPage : Round::kEmpty;
  }
  const std::size_t page_bytes = payload_bytes(page);  // before deliver() moves the events
  if (!deliver(tx, page)) {
    tx.abort();
    take_over_moved_checkpoint();
    return Round::kFullPage;
  }
  tx.commit();
  const Position last = page.back().position();
  checkpoint_ = last;
  if (isolate_until_ && last >= *isolate_until_) isolate_until_.reset();
  if (failing_event_ && last >= *failing_event_) {
    failing_event_.reset();
    attempts_ = 0;
  }
  const bool full = std::ssize(page) == limit;
  if (!full) {
    page_batches_ = 1;
  } else if (page_bytes > kMaxGrownPageBytes) {
    page_batches_ = std::max<std::int64_t>(page_batches_ / 2, 1);
  } else if (page_batches_ < kMaxPageBatches && page_bytes <= kMaxGrownPageBytes / 2) {
    page_batches_ *= 2;
  }
  logger().debug("subscription {}: delivered {} event(s) up to {}", name_, page.size(), last.to_string());
  return full ? Round::kFullPage : Round::kShortPage;
}

bool SubscriptionWorker::deliver(pqxx::work& tx, std::vector<RecordedEvent>& page) {
  const Position last = page.back().position();
  const auto batch_size = static_cast<std::size_t>(options_.batch_size);
  std::vector<RecordedEvent> slice;  // a batch of a page that holds several
  for (std::size_t begin = 0; begin < page.size(); begin += batch_size) {
    // The events are moved, not copied, into their batch: the page is read
    // again after a failure, and after a success only its positions (plain
    // integers, which a move leaves as they were) and its size are used.
    if (page.size() > batch_size) {
      const auto first = std::make_move_iterator(page.begin() + static_cast<std::ptrdiff_t>(begin));
      slice.assign(first, first + static_cast<std::ptrdiff_t>(std::min(batch_size, page.size() - begin)));
    }
    const std::vector<RecordedEvent>& batch = page.size() > batch_size ? slice : page;
    try {
      handler_(batch, tx);
    } catch (const pqxx::broken_connection&) {
      throw;
    } catch (const HandlerAborted&) {
      throw;  // not the events' fault: stop now, the checkpoint stays before the page
    } catch (const std::exception& e) {
      throw HandlerError{batch.front().position(), batch.back().position(), one_line(e.what())};
    } catch (...) {
      throw HandlerError{batch.front().position(), batch.back().position(), "unknown exception"};
    }
  }
  // The handler's work and the checkpoint's move commit together or not at all.
  return move_checkpoint(tx, last, std::ssize(page));
}

void SubscriptionWorker::on_handler_failure(const Position& first, const Position& last,
                                            const std::string& error) {
  page_batches_ = 1;
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
    stop_waker_.wait_for(backoff);
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
  tx.exec_params(kDeadLetterSql, name_, options_.group_member, event.id, std::to_string(event.tx_id),
                 attempts_, error);
  if (!move_checkpoint(tx, event, 0)) {
    tx.abort();
    take_over_moved_checkpoint();
    return;
  }
  tx.commit();
  checkpoint_ = event;
  logger().error("subscription {}: event {} parked in meowmx.dead_letters after {} attempt(s): {}", name_,
                 event.to_string(), attempts_, error);
  failing_event_.reset();
  attempts_ = 0;
}

bool SubscriptionWorker::wait(milliseconds timeout) {
  wakeups_->delivered_up_to(checkpoint_.tx_id);
  wakeups_->wait(stop_waker_, timeout);
  return wakeups_->take(awaited_tx_id_);
}

milliseconds SubscriptionWorker::idle_poll() {
  // Between 3/4 of max_sleep and all of it: workers started together (a
  // deployment, a process with many subscriptions) do not all poll at once.
  std::uniform_int_distribution<std::int64_t> quarters(0, options_.max_sleep.count() / 4);
  return options_.max_sleep - milliseconds(quarters(jitter_));
}

void SubscriptionWorker::reconnect_with_backoff() {
  milliseconds backoff{100};
  claimed_ = false;  // the lock went with the old session
  while (!stop_.stop_requested()) {
    wakeups_->before_reconnect();
    try {
      session_.reconnect();
      prepare_statements();
      wakeups_->after_reconnect();
      logger().info("subscription {}: reconnected; resuming from the checkpoint", name_);
      return;
    } catch (const ConnectionError& e) {
      logger().warn("subscription {}: {}; retrying in {} ms", name_, e.what(), backoff.count());
    } catch (const pqxx::broken_connection& e) {
      logger().warn("subscription {}: connection lost again ({}); retrying in {} ms", name_,
                    redact(one_line(e.what()), session_.options().dsn), backoff.count());
    }
    stop_waker_.wait_for(backoff);
    backoff = std::min<milliseconds>(backoff * 2, options_.max_reconnect_backoff);
  }
}

void SubscriptionWorker::run() {
  std::stop_callback on_stop(stop_, [this] { stop_waker_.wake(); });
  const bool ready = session_.guarded("subscription " + name_, [&] {
    create_or_check_subscription();
    if (!ensure_group_index()) return false;
    prepare_statements();
    listen();
    return true;
  });
  if (!ready) return;
  // While a notified transaction is not delivered yet (the horizon holds it
  // back, and what holds it may end without a NOTIFY): polls with backoff.
  milliseconds held_poll{0};
  while (!stop_.stop_requested()) {
    try {
      Round round = Round::kFullPage;
      try {
        round = run_round();
      } catch (const HandlerError& e) {
        // run_round's transaction has rolled back: nothing of the batch stays.
        on_handler_failure(e.first, e.last, e.message);
        continue;
      }
      if (round == Round::kFullPage) continue;
      if (round == Round::kStandby) {
        wait(std::min(options_.max_sleep, kStandbyPoll));
        continue;
      }
      if (options_.stop_when_caught_up) return;
      if (awaited_tx_id_ > checkpoint_.tx_id) {
        held_poll = held_poll.count() == 0 ? kFirstPoll : std::min(held_poll * 2, options_.max_sleep);
      } else {
        awaited_tx_id_ = 0;
        held_poll = milliseconds{0};
      }
      wait(held_poll.count() > 0 ? held_poll : idle_poll());
    } catch (const pqxx::broken_connection& e) {
      logger().warn("subscription {}: connection lost ({})", name_,
                    redact(one_line(e.what()), session_.options().dsn));
      reconnect_with_backoff();
    } catch (const pqxx::in_doubt_error& e) {
      // The commit's outcome is unknown; the checkpoint in the database says
      // which it was, and the claim reads it again.
      logger().warn("subscription {}: commit in doubt ({})", name_,
                    redact(one_line(e.what()), session_.options().dsn));
      reconnect_with_backoff();
    }
  }
}

}  // namespace meowmx::internal

// SubscriptionWorker: the loop behind Client::subscribe().
//
// Each round is one transaction: lock this member's checkpoint row (SKIP
// LOCKED: if another worker holds it, stand by) and read the next batch
// after the checkpoint (one statement), run the handler, advance the
// checkpoint, commit. Between
// rounds it waits for a NOTIFY from a writing transaction, or polls with
// backoff up to max_sleep. A broken connection is replaced with backoff and
// delivery resumes from the committed checkpoint.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>

#include "meowmx/position.h"
#include "meowmx/subscription.h"
#include "pg/session.h"

namespace meowmx::internal {

class SubscriptionWorker {
 public:
  SubscriptionWorker(Session& session, std::string name, SubscriptionOptions options,
                     BatchHandler handler, std::stop_token stop);
  ~SubscriptionWorker();

  void run();

 private:
  enum class Round { kDelivered, kCaughtUp, kStandby };
  class Wakeups;

  void prepare_statements();
  void create_or_check_subscription();
  Round run_round();
  // The round statement: locks the checkpoint (SKIP LOCKED) and reads up to
  // `limit` events after it; no rows when caught up or locked by another worker.
  pqxx::result read_page(pqxx::work& tx, std::int64_t limit);
  void on_handler_failure(const Position& first, const Position& last, const std::string& error);
  void park_dead_letter(const Position& event, const std::string& error);
  void listen();
  // Waits for a notification, a stop request or the timeout.
  void wait(std::chrono::milliseconds timeout);
  void reconnect_with_backoff();

  Session& session_;
  const std::string name_;
  const SubscriptionOptions options_;
  const BatchHandler handler_;
  std::stop_token stop_;
  std::unique_ptr<Wakeups> wakeups_;
  const std::string worker_label_;
  const std::string categories_literal_;  // the round statement's text[] parameter
  int stop_fd_ = -1;  // eventfd written when a stop is requested
  std::string round_statement_;  // the prepared round statement for this filter

  // After a batch failed, events are delivered one at a time up to the
  // batch's last position, so the failing event is found and retried alone.
  std::optional<Position> isolate_until_;
  std::optional<Position> failing_event_;
  int attempts_ = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_

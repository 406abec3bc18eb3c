// SubscriptionWorker: the loop behind Client::subscribe().
//
// The worker claims its subscription member with a session advisory lock
// (another worker of the same member stands by until it is free) and keeps
// the checkpoint in memory. Each round is one transaction: it reads the page
// after the checkpoint like any reader, runs the handler over the page in
// batches, moves the stored checkpoint if it is still the one the page was
// read after, and commits. A checkpoint moved by somebody else (a reset) is
// taken over; a deleted subscription stops the worker. Between rounds it
// waits for a NOTIFY naming one of its categories (WorkerWakeups), or polls
// every 3/4 to all of max_sleep. A broken connection is replaced with backoff and delivery
// resumes from the stored checkpoint.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include <pqxx/transaction>

#include "common/waker.h"
#include "meowmx/position.h"
#include "meowmx/subscription.h"
#include "pg/session.h"
#include "subscriptions/worker_wakeups.h"

namespace meowmx::internal {

class SubscriptionWorker {
 public:
  SubscriptionWorker(Session& session, std::string name, SubscriptionOptions options,
                     BatchHandler handler, std::stop_token stop);
  ~SubscriptionWorker();

  void run();

 private:
  enum class Round {
    kFullPage,   // more may follow at once
    kShortPage,  // delivered what there was: caught up
    kEmpty,      // nothing deliverable yet
    kStandby,    // another worker holds the member
  };

  void prepare_statements();
  void create_or_check_subscription();
  // In a consumer group: builds the member's index if nobody has yet. False
  // when a stop came while another build held the lock.
  bool ensure_group_index();
  // Claims the member if it is free and loads its checkpoint; false when
  // another worker holds it.
  bool claim();
  // Lets the member go, if this session still holds it.
  void release() noexcept;
  // Reads the stored checkpoint into checkpoint_; throws Error when the
  // subscription was deleted. True when it differed from checkpoint_.
  bool reload_checkpoint();
  Round run_round();
  pqxx::result read_page(pqxx::transaction_base& tx, std::int64_t limit);
  // Hands the page to the handler in batches and moves the checkpoint past
  // it, in `tx` (the transaction the page was read in), which the caller
  // commits; false when somebody else moved the checkpoint meanwhile (the
  // caller then rolls `tx` back). The page's events are moved into the
  // batches: only their positions stay valid.
  bool deliver(pqxx::work& tx, std::vector<RecordedEvent>& page);
  // Moves the stored checkpoint from checkpoint_ to `to` in `tx`; false when
  // it is no longer at checkpoint_.
  bool move_checkpoint(pqxx::work& tx, const Position& to, std::int64_t delivered);
  // After move_checkpoint() failed and its transaction ended: goes on from
  // the stored checkpoint.
  void take_over_moved_checkpoint();
  void on_handler_failure(const Position& first, const Position& last, const std::string& error);
  void park_dead_letter(const Position& event, const std::string& error);
  void listen();
  // Waits for a notification concerning this worker, a stop request or the
  // timeout. True when a notification came.
  bool wait(std::chrono::milliseconds timeout);
  // How long an idle worker waits for a notification before it polls.
  std::chrono::milliseconds idle_poll();
  void reconnect_with_backoff();

  Session& session_;
  const std::string name_;
  const SubscriptionOptions options_;
  const BatchHandler handler_;
  std::stop_token stop_;
  std::unique_ptr<WorkerWakeups> wakeups_;
  const std::string worker_label_;
  const std::string categories_literal_;  // the round statement's text[] parameter
  Waker stop_waker_;             // fired when a stop is requested
  std::string round_statement_;  // the prepared round statement for this filter

  bool claimed_ = false;
  Position checkpoint_;  // the stored checkpoint while claimed_
  // Pages grow while they come back full (catching up), by this factor of batch_size.
  std::int64_t page_batches_ = 1;
  // The newest transaction notified and not delivered yet, 0 when none.
  std::uint64_t awaited_tx_id_ = 0;
  std::minstd_rand jitter_{std::random_device{}()};  // spreads the idle polls

  // After a batch failed, events are delivered one at a time up to the
  // batch's last position, so the failing event is found and retried alone.
  std::optional<Position> isolate_until_;
  std::optional<Position> failing_event_;
  int attempts_ = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_SUBSCRIPTION_WORKER_H_

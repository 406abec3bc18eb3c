#include "subscriptions/worker_wakeups.h"

#include <algorithm>

#include <pqxx/pqxx>

#include "subscriptions/process_shared.h"
#include "subscriptions/wake_up.h"

namespace meowmx::internal {
namespace {

constexpr bool kOnOwnThread = true;
constexpr bool kOnListenerThread = false;

}  // namespace

// LISTEN on the worker's own connection while it lives (libpqxx sends
// LISTEN and UNLISTEN); libpqxx calls it on the worker's thread whenever it
// reads the connection's notifications.
class WorkerWakeups::OwnReceiver : public pqxx::notification_receiver {
 public:
  OwnReceiver(pqxx::connection_base& connection, WorkerWakeups& owner)
      : notification_receiver(connection, kWakeUpChannel), owner_(owner) {}

  void operator()(const std::string& payload, int) override { owner_.on_payload(payload, kOnOwnThread); }

 private:
  WorkerWakeups& owner_;
};

// How many workers of the process use one server, and the waker of the one
// that listens on its own session, woken when another worker joins so that
// it moves to the shared listener at once, not at its next notification.
class WorkerWakeups::Census {
 public:
  explicit Census(const ClientOptions&) {}

  // Counts a worker in; true when it is the only one, which is to listen on
  // its own session until moved().
  bool join(Waker& waker) {
    std::lock_guard lock(mutex_);
    if (++workers_ == 1) {
      lone_ = &waker;
      return true;
    }
    if (lone_) lone_->wake();
    return false;
  }
  void moved() {
    std::lock_guard lock(mutex_);
    lone_ = nullptr;
  }
  void leave(const Waker& waker) {
    std::lock_guard lock(mutex_);
    --workers_;
    if (lone_ == &waker) lone_ = nullptr;
  }
  bool crowded() {
    std::lock_guard lock(mutex_);
    return workers_ > 1;
  }

 private:
  std::mutex mutex_;
  int workers_ = 0;
  Waker* lone_ = nullptr;
};

WorkerWakeups::WorkerWakeups(Session& session, const SubscriptionOptions& options)
    : session_(session), options_(options), census_(process_shared<Census>(session.options())) {
  listens_on_own_ = census_->join(waker_);
  try {
    if (listens_on_own_) {
      own_receiver_ = std::make_unique<OwnReceiver>(session_.connection(), *this);
      on_payload(std::nullopt, kOnOwnThread);  // anything saved before LISTEN took effect
    } else {
      shared_ = SharedListener::listen(session_.options(), [this](std::optional<std::string_view> payload) {
        on_payload(payload, kOnListenerThread);
      });
    }
  } catch (...) {
    census_->leave(waker_);
    throw;
  }
}

WorkerWakeups::~WorkerWakeups() {
  own_receiver_.reset();
  shared_.reset();
  census_->leave(waker_);
}

void WorkerWakeups::wait(const Waker& stop, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (listens_on_own_ && census_->crowded()) move_to_shared_listener();
  if (listens_on_own_) session_.connection().get_notifs();  // what came during the round
  // On its own session the worker reads every notification, and waits on
  // after those that do not concern it (and after other server messages).
  while (!notified() && !stop.woken()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    const int socket = listens_on_own_ ? session_.connection().sock() : -1;
    if (wait_for_socket(socket, {&waker_, &stop}, left)) session_.connection().get_notifs();
    if (listens_on_own_ && census_->crowded()) {
      move_to_shared_listener();  // woken because another worker started; it looks once
      return;
    }
    // A wake-up whose notification take() already reported may have left the
    // waker readable: clear it, or the next poll would not sleep.
    // notified_, checked next, is what counts.
    waker_.clear();
  }
}

bool WorkerWakeups::take(std::uint64_t& awaited_tx_id) {
  std::lock_guard lock(mutex_);
  const bool was_notified = notified_;
  notified_ = false;
  if (waker_.woken()) waker_.clear();
  awaited_tx_id = std::max(awaited_tx_id, awaited_tx_id_);
  awaited_tx_id_ = 0;
  return was_notified;
}

void WorkerWakeups::before_reconnect() noexcept { own_receiver_.reset(); }

void WorkerWakeups::after_reconnect() {
  if (!listens_on_own_) return;
  own_receiver_ = std::make_unique<OwnReceiver>(session_.connection(), *this);
  on_payload(std::nullopt, kOnOwnThread);
}

void WorkerWakeups::move_to_shared_listener() {
  shared_ = SharedListener::listen(session_.options(), [this](std::optional<std::string_view> payload) {
    on_payload(payload, kOnListenerThread);
  });
  own_receiver_.reset();
  listens_on_own_ = false;
  census_->moved();
  // A notification the shared listener handed out before this registration
  // may also have reached the own session only as UNLISTEN ran, which drops
  // it: look once.
  on_payload(std::nullopt, kOnOwnThread);
}

bool WorkerWakeups::notified() {
  std::lock_guard lock(mutex_);
  return notified_;
}

void WorkerWakeups::on_payload(std::optional<std::string_view> payload, bool on_own_thread) {
  const std::optional<WakeUp> wake_up = payload ? parse_wake_up(*payload) : std::nullopt;
  if (wake_up && !concerns(*wake_up)) return;
  std::lock_guard lock(mutex_);
  notified_ = true;  // a save of ours, or someone else's NOTIFY, a reset or a delete: look
  if (wake_up) awaited_tx_id_ = std::max(awaited_tx_id_, wake_up->tx_id);
  if (!on_own_thread) waker_.wake();  // the worker's thread is not waiting: it is here
}

bool WorkerWakeups::concerns(const WakeUp& wake_up) const {
  if (wake_up.tx_id <= delivered_tx_id_) return false;
  const auto& categories = options_.categories;
  if (!categories.empty() &&
      std::find(categories.begin(), categories.end(), wake_up.aggregate_type) == categories.end()) {
    return false;
  }
  return options_.group_size == 1 || wake_up.member_hash % options_.group_size == options_.group_member;
}

}  // namespace meowmx::internal

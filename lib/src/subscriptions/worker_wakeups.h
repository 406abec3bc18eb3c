// WorkerWakeups: the notifications of saves a subscription worker waits for,
// kept when they concern it (a category it reads, a group member it is, a
// transaction it has not delivered yet).
//
// Where they come from: PostgreSQL signals every listening session at every
// NOTIFY, so a process listens on one connection per DSN and application
// name, whatever its number of workers. While a worker is the only one of
// its process there, that connection is its own session's: the wake-up then lands on the
// connection that reads the events next, with no thread or extra connection
// between them. When a second worker starts it wakes the first, which moves to
// the process's SharedListener as soon as it waits again (at once if it is
// waiting, after its round if not); the later workers use it from the start. While a session is in a transaction PostgreSQL holds its
// notifications back, which is why only a sole worker listens on its own: it
// waits for nobody's notifications but its own. (While its handler's
// transaction runs, its session also holds back the tail of PostgreSQL's
// notification queue, as any listening session in a long transaction does.)
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_WORKER_WAKEUPS_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_WORKER_WAKEUPS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "common/waker.h"
#include "meowmx/subscription.h"
#include "pg/session.h"
#include "subscriptions/shared_listener.h"

namespace meowmx::internal {

struct WakeUp;

class WorkerWakeups {
 public:
  // Starts listening: on `session`'s connection if no other worker of the
  // process uses the same DSN and application name, else through the shared
  // listener. The worker must run a round before its first wait(), for what
  // was saved before.
  // `session` and `options` must outlive this object; the session's
  // connection must be idle (no transaction open).
  WorkerWakeups(Session& session, const SubscriptionOptions& options);
  ~WorkerWakeups();
  WorkerWakeups(const WorkerWakeups&) = delete;
  WorkerWakeups& operator=(const WorkerWakeups&) = delete;

  // Waits until a notification concerning the worker came, `stop` fires,
  // `timeout` passes or another worker starts; moves to the shared listener
  // once another worker started. Call between rounds, with no transaction open. Throws
  // what libpqxx throws when the worker's own listening connection broke.
  void wait(const Waker& stop, std::chrono::milliseconds timeout);

  // Whether a notification came since the last call; the newest notified
  // transaction not delivered yet goes to `awaited_tx_id`.
  bool take(std::uint64_t& awaited_tx_id);

  // The transactions up to this one are delivered.
  void delivered_up_to(std::uint64_t tx_id) { delivered_tx_id_ = tx_id; }

  // Around Session::reconnect(): the own listening goes with the old
  // connection and starts again on the new one (a notification is reported,
  // for what was saved in between).
  void before_reconnect() noexcept;
  void after_reconnect();

 private:
  class OwnReceiver;
  class Census;

  // From the worker's own connection (on its thread), or from the shared
  // listener's thread, which must wake the worker.
  void on_payload(std::optional<std::string_view> payload, bool on_own_thread);
  bool notified();
  bool concerns(const WakeUp& wake_up) const;
  void move_to_shared_listener();

  Session& session_;
  const SubscriptionOptions& options_;
  std::atomic<std::uint64_t> delivered_tx_id_{0};
  std::mutex mutex_;
  bool notified_ = false;
  std::uint64_t awaited_tx_id_ = 0;
  Waker waker_;  // woken by the shared listener for a notification that concerns this worker
  std::shared_ptr<Census> census_;  // the process's workers on this server
  bool listens_on_own_ = false;
  // Last: no callback runs once they are gone.
  std::unique_ptr<OwnReceiver> own_receiver_;
  std::unique_ptr<SharedListener::Registration> shared_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_WORKER_WAKEUPS_H_

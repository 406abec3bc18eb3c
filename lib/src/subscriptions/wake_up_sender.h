// WakeUpSender: coalesces the wake-ups of saves that committed in their own
// transactions, for every Client of the process on the same DSN (saves in a
// caller's transaction notify at its commit). At most one of these NOTIFY
// transactions of the process is on its way at a time, and the next starts
// at least kMinSendInterval after the previous one ended. A save that finds
// the way free sends its own wake-up at once, on its connection (the leading
// one: no delay while writes are few); the others queue theirs for the
// sender's thread and connection, which sends everything queued in one
// statement and transaction as soon as the way is free. So under load many
// saves share one NOTIFY transaction (PostgreSQL serialises notifying commits
// on one lock, and each costs the server a transaction), a wake-up waits at
// most about kMinSendInterval plus two round trips (the one on its way, then
// its own), and the last save's is always sent (the trailing one): the queue
// is drained whenever the way is free, and on destruction. A leading wake-up
// stuck on a connection that went silent holds the queued ones back until
// libpq gives up on it; workers meanwhile find the events when they poll.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/connection>

#include "meowmx/options.h"

namespace meowmx::internal {

class WakeUpSender {
 public:
  // Under load, wake-ups wait this long at most for the ones that follow.
  static constexpr std::chrono::microseconds kMinSendInterval{1000};

  // The process's sender for the DSN of `options`.
  static std::shared_ptr<WakeUpSender> for_client(const ClientOptions& options);

  explicit WakeUpSender(ClientOptions options);
  ~WakeUpSender();  // sends what is queued first

  // True when the caller is to send its wake-up itself, now, in a
  // transaction of its own (kWakeUpBatchSql), then call end_leading(); false
  // when it is to queue() it.
  bool begin_leading();
  void end_leading();
  // Queues the wake-up of a committed save: its transaction id (text) and
  // the aggregate written. Never blocks on the server; failures to send are
  // logged (workers find the events at their next poll).
  void queue(std::string_view tx_id, std::string_view aggregate_type, std::string_view aggregate_id);

 private:
  using Clock = std::chrono::steady_clock;

  void run(std::stop_token stop);
  void send(const nlohmann::json& wake_ups);
  void sent();  // with mutex_ held: the way is free again, after the interval

  const ClientOptions options_;
  std::unique_ptr<pqxx::connection> connection_;  // opened when first needed
  std::mutex mutex_;
  std::condition_variable_any changed_;  // waits also end at the thread's stop request
  bool in_flight_ = false;                // a leading wake-up or a batch is on its way
  Clock::time_point next_send_;           // no NOTIFY transaction starts before
  nlohmann::json pending_ = nlohmann::json::array();  // {"tx","type","id"} objects
  std::jthread thread_;  // last: drains and joins before the members go
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_

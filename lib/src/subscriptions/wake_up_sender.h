// WakeUpSender: coalesces the wake-ups of saves that committed, for every
// Client of the process on the same DSN. One save at a time sends its own at
// once, on its connection (the leading one: no delay while writes are few);
// saves that come while one is being sent queue theirs for the sender's
// thread and connection, which sends what is queued in one statement and
// transaction, and what queues up meanwhile in the next. So under load many
// saves share one NOTIFY transaction (PostgreSQL serialises notifying commits
// on one lock), and the last save's wake-up is always sent (the trailing one):
// the queue is drained after every statement, and on destruction.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_

#include <atomic>
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
  // The process's sender for the DSN of `options`.
  static std::shared_ptr<WakeUpSender> for_client(const ClientOptions& options);

  explicit WakeUpSender(ClientOptions options);
  ~WakeUpSender();  // sends what is queued first

  // True when the caller is to send its wake-up itself, now, in a
  // transaction of its own (kWakeUpBatchSql), then call end_leading().
  bool begin_leading();
  void end_leading();
  // Queues the wake-up of a committed save: its transaction id (text) and
  // the aggregate written. Never blocks on the server; failures to send are
  // logged (workers find the events at their next poll).
  void queue(std::string_view tx_id, std::string_view aggregate_type, std::string_view aggregate_id);

 private:
  void run(std::stop_token stop);
  void send(const nlohmann::json& wake_ups);

  const ClientOptions options_;
  std::atomic<bool> sending_{false};  // a leading wake-up or a batch is on its way
  std::unique_ptr<pqxx::connection> connection_;  // opened when first needed
  std::mutex mutex_;
  std::condition_variable_any queued_;  // waits also end at the thread's stop request
  nlohmann::json pending_ = nlohmann::json::array();  // {"tx","type","id"} objects
  std::jthread thread_;  // last: drains and joins before the members go
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_WAKE_UP_SENDER_H_

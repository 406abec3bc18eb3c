#include "subscriptions/wake_up_sender.h"

#include <pqxx/pqxx>

#include "common/logger.h"
#include "pg/connection_errors.h"
#include "pg/dsn.h"
#include "subscriptions/process_shared.h"
#include "subscriptions/wake_up.h"

namespace meowmx::internal {

std::shared_ptr<WakeUpSender> WakeUpSender::for_client(const ClientOptions& options) {
  return process_shared<WakeUpSender>(options);
}

WakeUpSender::WakeUpSender(ClientOptions options)
    : options_(std::move(options)), thread_([this](std::stop_token stop) { run(stop); }) {}

// thread_'s destructor requests the stop, which ends the wait in run() (a
// notify from here, outside the mutex, could come between the wait's check
// and its sleep, and be lost), and joins.
WakeUpSender::~WakeUpSender() = default;

bool WakeUpSender::begin_leading() {
  std::lock_guard lock(mutex_);
  // Behind queued wake-ups it would overtake the sender, and two NOTIFY
  // transactions of the process would wait for each other's lock.
  if (in_flight_ || !pending_.empty() || Clock::now() < next_send_) return false;
  in_flight_ = true;
  return true;
}

void WakeUpSender::end_leading() {
  {
    std::lock_guard lock(mutex_);
    sent();
  }
  changed_.notify_one();
}

void WakeUpSender::sent() {
  in_flight_ = false;
  next_send_ = Clock::now() + kMinSendInterval;
}

void WakeUpSender::queue(std::string_view tx_id, std::string_view aggregate_type, std::string_view aggregate_id) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = pending_.empty();
    pending_.push_back({{"tx", tx_id}, {"type", aggregate_type}, {"id", aggregate_id}});
  }
  // Only the first of a batch can end the sender's wait for work; waking it
  // for each would cost a context switch per save while it waits out the
  // interval.
  if (first) changed_.notify_one();
}

void WakeUpSender::run(std::stop_token stop) {
  for (;;) {
    nlohmann::json batch = nlohmann::json::array();
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, stop, [&] { return !pending_.empty() && !in_flight_; });
      if (pending_.empty()) return;  // stopped with nothing left to send
      // What queues up until the interval is over goes in this batch too (no
      // leading wake-up starts while some are queued). A stop ends the wait.
      changed_.wait_until(lock, stop, next_send_, [] { return false; });
      batch.swap(pending_);
      in_flight_ = true;
    }
    send(batch);
    std::lock_guard lock(mutex_);
    sent();
  }
}

void WakeUpSender::send(const nlohmann::json& wake_ups) {
  try {
    if (!connection_ || !connection_->is_open()) {
      connection_ = std::make_unique<pqxx::connection>(conninfo_for(options_.dsn, options_.application_name));
    }
    pqxx::nontransaction tx(*connection_);
    tx.exec_params(kWakeUpBatchSql, wake_ups.dump());
  } catch (const std::exception& e) {
    connection_.reset();
    logger().warn("saved, but could not wake the subscribers: {}", redact(one_line(e.what()), options_.dsn));
  }
}

}  // namespace meowmx::internal

#include "subscriptions/shared_listener.h"

#include <algorithm>
#include <chrono>

#include <pqxx/pqxx>

#include "common/logger.h"
#include "pg/connection_errors.h"
#include "pg/dsn.h"
#include "subscriptions/process_shared.h"
#include "subscriptions/wake_up.h"

namespace meowmx::internal {
namespace {

using std::chrono::milliseconds;

// How long the listener sleeps in poll() between looks at its connection.
constexpr milliseconds kListenTick{1000};
constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{5000};

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, std::function<void(std::string_view)> on_payload)
      : notification_receiver(connection, kWakeUpChannel), on_payload_(std::move(on_payload)) {}

  void operator()(const std::string& payload, int) override { on_payload_(payload); }

 private:
  std::function<void(std::string_view)> on_payload_;
};

}  // namespace

SharedListener::Registration::Registration(std::shared_ptr<SharedListener> listener, std::uint64_t id)
    : listener_(std::move(listener)), id_(id) {}

SharedListener::Registration::~Registration() {
  std::lock_guard lock(listener_->mutex_);
  listener_->callbacks_.erase(id_);
}

std::unique_ptr<SharedListener::Registration> SharedListener::listen(const ClientOptions& options,
                                                                     Callback callback) {
  std::shared_ptr<SharedListener> listener = process_shared<SharedListener>(options);
  std::lock_guard lock(listener->mutex_);
  const std::uint64_t id = listener->next_id_++;
  listener->callbacks_.emplace(id, std::move(callback));
  return std::make_unique<Registration>(std::move(listener), id);
}

SharedListener::SharedListener(ClientOptions options)
    : options_(std::move(options)), thread_([this](std::stop_token stop) { run(stop); }) {}

SharedListener::~SharedListener() {
  thread_.request_stop();
  stop_waker_.wake();
}

void SharedListener::dispatch(std::optional<std::string_view> payload) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, callback] : callbacks_) callback(payload);
}

void SharedListener::run(std::stop_token stop) {
  const std::string conninfo = conninfo_for(options_.dsn, options_.application_name);
  milliseconds backoff = kFirstBackoff;
  while (!stop.stop_requested()) {
    try {
      pqxx::connection connection(conninfo);
      const Receiver receiver(connection, [this](std::string_view payload) { dispatch(payload); });
      backoff = kFirstBackoff;
      dispatch(std::nullopt);  // anything saved before LISTEN took effect
      while (!stop.stop_requested()) {
        wait_for_socket(connection.sock(), {&stop_waker_}, kListenTick);
        connection.get_notifs();
      }
    } catch (const std::exception& e) {
      logger().warn("subscription wake-ups: listening connection lost ({}); workers poll until it is back",
                    redact(one_line(e.what()), options_.dsn));
      dispatch(std::nullopt);
      stop_waker_.wait_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

}  // namespace meowmx::internal

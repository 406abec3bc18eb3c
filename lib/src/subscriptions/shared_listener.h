// SharedListener: one LISTEN connection per process and server, shared by
// every subscription worker of the process. PostgreSQL signals each
// listening session at every NOTIFY, so 200 workers listening on their own
// connections cost the server 200 wake-ups per save; sharing costs one.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_SHARED_LISTENER_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_SHARED_LISTENER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "common/waker.h"
#include "meowmx/options.h"

namespace meowmx::internal {

class SharedListener {
 public:
  // Called on the listener's thread, one call at a time: with a payload for
  // each notification on the wake-up channel, and with nullopt whenever
  // notifications may have been missed (the listening connection was opened
  // anew, or lost). Must return quickly.
  using Callback = std::function<void(std::optional<std::string_view> payload)>;

  // While it lives, `callback` receives the notifications; destroying it
  // waits for a call in progress.
  class Registration {
   public:
    Registration(std::shared_ptr<SharedListener> listener, std::uint64_t id);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    std::shared_ptr<SharedListener> listener_;
    std::uint64_t id_;
  };

  // Registers `callback` with the listener for the server and database of
  // `options` (its DSN and application name), started on first use and
  // stopped with its last registration. The listener connects on its own
  // thread, and reconnects with backoff; the callback gets nullopt each time.
  static std::unique_ptr<Registration> listen(const ClientOptions& options, Callback callback);

  explicit SharedListener(ClientOptions options);
  ~SharedListener();

 private:
  void run(std::stop_token stop);
  void dispatch(std::optional<std::string_view> payload);

  const ClientOptions options_;
  std::mutex mutex_;  // held while a callback runs
  std::map<std::uint64_t, Callback> callbacks_;
  std::uint64_t next_id_ = 0;
  Waker stop_waker_;
  std::jthread thread_;  // last: stops and joins before the members go
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_SHARED_LISTENER_H_

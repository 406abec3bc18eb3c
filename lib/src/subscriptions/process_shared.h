// One object per process and server: what the Clients and subscription
// workers of a process share for the same DSN (a listening connection, a
// wake-up sender), made on first use and gone with its last user.
#ifndef MEOWMX_SRC_SUBSCRIPTIONS_PROCESS_SHARED_H_
#define MEOWMX_SRC_SUBSCRIPTIONS_PROCESS_SHARED_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "meowmx/options.h"
#include "pg/dsn.h"

namespace meowmx::internal {

// The T for `options` (by DSN and application name, as the connection
// libpq opens), constructed from them if the process has none alive.
template <typename T>
std::shared_ptr<T> process_shared(const ClientOptions& options) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<T>> instances;
  std::lock_guard lock(mutex);
  auto& slot = instances[conninfo_for(options.dsn, options.application_name)];
  std::shared_ptr<T> instance = slot.lock();
  if (!instance) {
    instance = std::make_shared<T>(options);
    slot = instance;
  }
  return instance;
}

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_SUBSCRIPTIONS_PROCESS_SHARED_H_

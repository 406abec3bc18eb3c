// Signals: named channels that a change-capture pub sends on and that sinks
// and application code receive from, as meepo's blinker signals did:
//
//   meowmx::signal("orders_update").connect([](const nlohmann::json& pk) { ... });
//
// A Pub feeds its bus as one of its sinks: `<stem>_<action>` carries the
// primary key, `<stem>_<action>_raw` the change's raw form (see
// change_event.h), and kPositionSignal the stream position after each source
// transaction. The pub asks which signals have receivers when it starts (to
// decode only what somebody reads): connect receivers before run(). Payloads
// are nlohmann::json values, so a json column's number beyond a double's
// precision loses digits here (every other sink passes the source's text on).
//
// Receivers run on the thread that sends (a pub's dispatching thread), in
// the order they connected; an exception from a receiver propagates to the
// sender, so a pub stops without acknowledging the transaction. connect() and
// disconnect() may be called from any thread, also while signals are being sent.
#ifndef MEOWMX_CAPTURE_SIGNAL_H_
#define MEOWMX_CAPTURE_SIGNAL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace meowmx {

// The signal sent once a source transaction has gone through every receiver:
// {"lsn", "commit_lsn", "xid", "commit_time", "changes"} for logical
// decoding, {"xid", "changes"} for triggers.
inline constexpr std::string_view kPositionSignal = "pub_position";

using SignalHandler = std::function<void(const nlohmann::json& payload)>;

class Signal;

// A handle to one receiver. Letting it go does not disconnect (like meepo's
// weak=False); hold a ScopedConnection for that.
class Connection {
 public:
  Connection() = default;
  void disconnect();
  bool connected() const;

 private:
  friend class Signal;
  Connection(Signal* signal, std::uint64_t id) : signal_(signal), id_(id) {}
  Signal* signal_ = nullptr;
  std::uint64_t id_ = 0;
};

// Disconnects its receiver when destroyed.
class ScopedConnection {
 public:
  ScopedConnection() = default;
  ScopedConnection(Connection connection) : connection_(connection) {}  // NOLINT: implicit on purpose
  ~ScopedConnection() { connection_.disconnect(); }
  ScopedConnection(ScopedConnection&& other) noexcept : connection_(std::exchange(other.connection_, {})) {}
  ScopedConnection& operator=(ScopedConnection&& other) noexcept;
  ScopedConnection(const ScopedConnection&) = delete;
  ScopedConnection& operator=(const ScopedConnection&) = delete;

 private:
  Connection connection_;
};

class Signal {
 public:
  explicit Signal(std::string name);
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  const std::string& name() const noexcept { return name_; }
  Connection connect(SignalHandler handler);
  // Calls every receiver connected when the send starts.
  void send(const nlohmann::json& payload) const;
  // Lets a sender skip building a payload nobody reads.
  bool has_receivers() const;

 private:
  friend class Connection;
  using Receivers = std::vector<std::pair<std::uint64_t, SignalHandler>>;
  void disconnect(std::uint64_t id);
  bool connected(std::uint64_t id) const;

  const std::string name_;
  mutable std::mutex mutex_;
  // Copied on write, so send() calls receivers without holding the lock and a
  // receiver may connect or disconnect others.
  std::shared_ptr<const Receivers> receivers_;
  std::uint64_t next_id_ = 1;
};

// A namespace of signals. Signals live as long as their bus, at stable
// addresses; connections must not outlive it.
class SignalBus {
 public:
  SignalBus() = default;
  SignalBus(const SignalBus&) = delete;
  SignalBus& operator=(const SignalBus&) = delete;

  // The signal of that name, created on first use.
  Signal& signal(std::string_view name);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Signal>, std::less<>> signals_;
};

// The process-wide bus that meowmx::signal() and a Pub use unless told otherwise.
SignalBus& default_signal_bus();

// default_signal_bus().signal(name).
Signal& signal(std::string_view name);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_SIGNAL_H_

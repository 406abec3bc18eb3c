#include "meowmx/capture/signal.h"

#include <algorithm>

namespace meowmx {

void Connection::disconnect() {
  if (signal_) signal_->disconnect(id_);
  signal_ = nullptr;
}

bool Connection::connected() const { return signal_ && signal_->connected(id_); }

ScopedConnection& ScopedConnection::operator=(ScopedConnection&& other) noexcept {
  if (this != &other) {
    connection_.disconnect();
    connection_ = std::exchange(other.connection_, {});
  }
  return *this;
}

Signal::Signal(std::string name) : name_(std::move(name)), receivers_(std::make_shared<Receivers>()) {}

Connection Signal::connect(SignalHandler handler) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Receivers>(*receivers_);
  const std::uint64_t id = next_id_++;
  next->emplace_back(id, std::move(handler));
  receivers_ = std::move(next);
  return Connection(this, id);
}

void Signal::disconnect(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Receivers>(*receivers_);
  std::erase_if(*next, [id](const auto& receiver) { return receiver.first == id; });
  receivers_ = std::move(next);
}

bool Signal::connected(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  return std::any_of(receivers_->begin(), receivers_->end(),
                     [id](const auto& receiver) { return receiver.first == id; });
}

void Signal::send(const nlohmann::json& payload) const {
  std::shared_ptr<const Receivers> receivers;
  {
    std::lock_guard lock(mutex_);
    receivers = receivers_;
  }
  for (const auto& [id, handler] : *receivers) handler(payload);
}

bool Signal::has_receivers() const {
  std::lock_guard lock(mutex_);
  return !receivers_->empty();
}

Signal& SignalBus::signal(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = signals_.find(name);
  if (it == signals_.end()) {
    it = signals_.emplace(std::string(name), std::make_unique<Signal>(std::string(name))).first;
  }
  return *it->second;
}

SignalBus& default_signal_bus() {
  static SignalBus bus;
  return bus;
}

Signal& signal(std::string_view name) { return default_signal_bus().signal(name); }

}  // namespace meowmx

#include "capture/sinks/signal_sink.h"

#include <array>

#include <nlohmann/json.hpp>

namespace meowmx::internal {
namespace {

constexpr std::size_t kActions = 4;  // ChangeAction's values

class SignalSink : public Sink {
 public:
  explicit SignalSink(SignalBus& bus) : bus_(bus), position_(bus.signal(kPositionSignal)) {}

  std::string_view name() const override { return "signals"; }

  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks&) override {
    routes_.clear();
    for (const CapturedTable& table : stream.tables) {
      Routes& routes = routes_.emplace_back();
      for (std::size_t action = 0; action < kActions; ++action) {
        const std::string name = table.stem + "_" + std::string(to_string(static_cast<ChangeAction>(action)));
        routes[action] = {&bus_.signal(name), &bus_.signal(name + "_raw")};
      }
    }
    tables_ = &stream.tables;
    return std::nullopt;
  }

  // Asked when the pub starts: receivers should be connected by then.
  Interest interest(const CapturedTable& table) const override {
    const Routes& routes = routes_[index_of(table)];
    Interest interest = Interest::kNone;
    for (const Route& route : routes) {
      if (route.raw->has_receivers()) return Interest::kRows;
      if (route.plain->has_receivers()) interest = Interest::kKeys;
    }
    return interest;
  }

  void begin(const Transaction&) override { changes_ = 0; }

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    const Route& route = routes_[index_of(*change.table)][static_cast<std::size_t>(change.action)];
    if (route.plain->has_receivers()) route.plain->send(nlohmann::json::parse(key_json(change)));
    if (route.raw->has_receivers()) route.raw->send(nlohmann::json::parse(to_json_text(transaction, change)));
    ++changes_;
  }

  bool commit(const Transaction& transaction) override {
    if (position_.has_receivers()) {
      auto position = nlohmann::json::parse(to_json_text(transaction.position));
      position["xid"] = transaction.xid;
      if (!transaction.commit_time.empty()) position["commit_time"] = transaction.commit_time;
      position["changes"] = changes_;
      position_.send(position);
    }
    return true;
  }

  // Signals sent cannot be taken back: receivers see the transaction again.
  void abort() override {}

 private:
  struct Route {
    Signal* plain = nullptr;
    Signal* raw = nullptr;
  };
  using Routes = std::array<Route, kActions>;

  std::size_t index_of(const CapturedTable& table) const {
    return static_cast<std::size_t>(&table - tables_->data());
  }

  SignalBus& bus_;
  Signal& position_;
  const std::vector<CapturedTable>* tables_ = nullptr;
  std::vector<Routes> routes_;
  std::int64_t changes_ = 0;
};

}  // namespace

std::unique_ptr<Sink> make_signal_sink(SignalBus& bus) { return std::make_unique<SignalSink>(bus); }

}  // namespace meowmx::internal

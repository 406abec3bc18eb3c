#include "capture/pipeline.h"

#include <algorithm>
#include <iterator>

#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

std::size_t row_bytes(const std::optional<Row>& row) {
  if (!row) return 0;
  std::size_t bytes = 0;
  for (const Field& field : *row) bytes += sizeof(Field) + field.name.size() + field.value.text.size();
  return bytes;
}

// What a change holds in memory, near enough to bound the buffer by.
std::size_t change_bytes(const ChangeEvent& change) {
  std::size_t bytes = sizeof(ChangeEvent);
  for (const Value& value : change.key) bytes += sizeof(Value) + value.text.size();
  return bytes + row_bytes(change.values) + row_bytes(change.before) + row_bytes(change.after);
}

}  // namespace

class Pipeline::Marks : public SinkMarks {
 public:
  Marks(Pipeline& pipeline, std::size_t sink) : pipeline_(pipeline), sink_(sink) {}
  void done(std::uint64_t sequence) override {
    if (pipeline_.watermark_.mark(sink_, sequence)) {
      pipeline_.progress_.wake();
      std::lock_guard lock(pipeline_.mutex_);
      pipeline_.changed_.notify_all();
    }
  }
  void fail(std::exception_ptr error) override { pipeline_.fail(std::move(error)); }

 private:
  Pipeline& pipeline_;
  std::size_t sink_;
};

Pipeline::Pipeline(std::vector<Sink*> sinks, std::size_t buffer_bytes)
    : buffer_bytes_(buffer_bytes), watermark_(sinks.size()) {
  for (std::size_t i = 0; i < sinks.size(); ++i) {
    sinks_.push_back(SinkState{sinks[i], std::nullopt, {}, false});
    marks_.push_back(std::make_unique<Marks>(*this, i));
  }
  dispatcher_ = std::thread([this] { dispatch(); });
}

Pipeline::~Pipeline() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.push_back(Item{Item::Kind::kStop, {}, 0});
  }
  changed_.notify_all();
  dispatcher_.join();
}

void Pipeline::open(const StreamInfo& stream) {
  stream_ = stream;
  table_interests_.assign(stream_.tables.size(), Interest::kNone);
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    SinkState& state = sinks_[i];
    state.has = state.sink->open(stream_, *marks_[i]);
    for (std::size_t t = 0; t < stream_.tables.size(); ++t) {
      state.interests.push_back(state.sink->interest(stream_.tables[t]));
      table_interests_[t] = std::max(table_interests_[t], state.interests.back());
    }
    if (state.has) logger().info("{} sink: resuming after {}", state.sink->name(), to_json_text(*state.has));
  }
}

const CapturedTable* Pipeline::table(std::string_view space, std::string_view name) const {
  for (const CapturedTable& table : stream_.tables) {
    if (table.name.space == space && table.name.name == name) return &table;
  }
  return nullptr;
}

Interest Pipeline::interest(const CapturedTable& table) const {
  return table_interests_[static_cast<std::size_t>(&table - stream_.tables.data())];
}

void Pipeline::set_keepalive(std::function<void()> keepalive, std::chrono::milliseconds interval) {
  keepalive_ = std::move(keepalive);
  keepalive_interval_ = interval;
}

void Pipeline::keep_positions(std::function<void(const TransactionPosition&)> keep) { keep_ = std::move(keep); }

void Pipeline::begin(TransactionPosition position, std::uint64_t xid, std::string commit_time) {
  open_transaction_ = Transaction{next_sequence_++, std::move(position), xid, std::move(commit_time)};
  push(Item{Item::Kind::kBegin, open_transaction_, sizeof(Item)});
}

void Pipeline::change(ChangeEvent change) {
  const std::size_t bytes = change_bytes(change);
  push(Item{Item::Kind::kChange, std::move(change), bytes});
}

void Pipeline::commit(TransactionPosition position) {
  open_transaction_.position = std::move(position);
  push(Item{Item::Kind::kCommit, open_transaction_, sizeof(Item)});
}

void Pipeline::abort() { push(Item{Item::Kind::kAbort, {}, 0}); }

void Pipeline::drain() {
  flush();
  std::unique_lock lock(mutex_);
  wait(lock, [this] { return queue_.empty() && !dispatching_ && watermark_.complete(); });
}

std::optional<TransactionPosition> Pipeline::acknowledged() const { return watermark_.low(); }

bool Pipeline::idle() const {
  std::lock_guard lock(mutex_);
  return outbox_.empty() && queue_.empty() && !dispatching_ && watermark_.complete();
}

void Pipeline::push(Item item) {
  const bool ends_transaction = item.kind == Item::Kind::kCommit || item.kind == Item::Kind::kAbort;
  outbox_bytes_ += item.bytes;
  outbox_.push_back(std::move(item));
  if (ends_transaction || outbox_.size() >= kOutboxItems || outbox_bytes_ >= buffer_bytes_ / 4) flush();
}

void Pipeline::flush() {
  if (outbox_.empty()) return;
  {
    std::unique_lock lock(mutex_);
    // What the dispatcher holds counts until it is delivered; with nothing
    // held, anything fits however large: a buffer never blocks for ever.
    wait(lock, [&] { return queued_bytes_ == 0 || queued_bytes_ + outbox_bytes_ <= buffer_bytes_; });
    queued_bytes_ += outbox_bytes_;
    queue_.insert(queue_.end(), std::make_move_iterator(outbox_.begin()), std::make_move_iterator(outbox_.end()));
  }
  outbox_.clear();
  outbox_bytes_ = 0;
  changed_.notify_all();
}

void Pipeline::rethrow_failure() {
  std::lock_guard lock(mutex_);
  if (failure_) std::rethrow_exception(failure_);
}

void Pipeline::wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& ready) {
  for (;;) {
    if (failure_) std::rethrow_exception(failure_);
    if (ready()) return;
    if (changed_.wait_for(lock, keepalive_interval_) == std::cv_status::timeout && keepalive_) {
      lock.unlock();
      keepalive_();
      lock.lock();
    }
  }
}

void Pipeline::fail(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(error);
  }
  failed_ = true;
  changed_.notify_all();
}

void Pipeline::dispatch() {
  for (;;) {
    // Whatever is queued, in one go: one lock and one wake-up per batch.
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty(); });
      batch_.swap(queue_);
      dispatching_ = true;
    }
    std::size_t bytes = 0;
    bool stopping = false;
    for (Item& item : batch_) {
      bytes += item.bytes;
      // At a stop, sinks drop what a transaction left half-way gave them.
      stopping = item.kind == Item::Kind::kStop;
      if (stopping) item.kind = Item::Kind::kAbort;
      try {
        if ((!failed_ && !halted_) || item.kind == Item::Kind::kAbort) deliver(item);
      } catch (...) {
        fail(std::current_exception());
      }
      if (stopping) break;
    }
    batch_.clear();
    {
      std::lock_guard lock(mutex_);
      queued_bytes_ -= bytes;
      dispatching_ = false;
    }
    changed_.notify_all();
    if (stopping) return;
  }
}

void Pipeline::deliver(Item& item) {
  switch (item.kind) {
    case Item::Kind::kBegin: {
      const Transaction& transaction = std::get<Transaction>(item.payload);
      if (keep_) {
        // Nothing of this transaction reaches a sink before the one before
        // it is kept. A pipeline stopped or failed meanwhile delivers no
        // more: what it holds comes again in the next session.
        if (!await_marks()) {
          halted_ = true;
          break;
        }
        keep_acknowledged();
      }
      dispatched_transaction_ = transaction;
      for (SinkState& state : sinks_) {
        // What the sink has already (its own resume point, or delivered
        // before a reconnect made the source send it again) is skipped.
        state.in_transaction = !(state.has && compare(transaction.position, *state.has) <= 0);
        if (state.in_transaction) state.sink->begin(transaction);
      }
      break;
    }
    case Item::Kind::kChange: {
      const ChangeEvent& change = std::get<ChangeEvent>(item.payload);
      const auto table = static_cast<std::size_t>(change.table - stream_.tables.data());
      for (SinkState& state : sinks_) {
        if (state.in_transaction && state.interests[table] != Interest::kNone) {
          state.sink->change(dispatched_transaction_, change);
        }
      }
      break;
    }
    case Item::Kind::kCommit: {
      const Transaction& transaction = std::get<Transaction>(item.payload);
      watermark_.add(transaction.sequence, transaction.position);
      for (std::size_t i = 0; i < sinks_.size(); ++i) {
        SinkState& state = sinks_[i];
        const bool has = !state.in_transaction || state.sink->commit(transaction);
        if (state.in_transaction) state.has = transaction.position;
        state.in_transaction = false;
        if (has) marks_[i]->done(transaction.sequence);
      }
      // Synchronous sinks have it now: kept before the next one arrives.
      if (keep_) keep_acknowledged();
      break;
    }
    case Item::Kind::kAbort:
      for (SinkState& state : sinks_) {
        if (state.in_transaction) state.sink->abort();
        state.in_transaction = false;
      }
      break;
    case Item::Kind::kStop:
      break;
  }
}

bool Pipeline::await_marks() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return watermark_.complete() || failure_ || stopping_; });
  return watermark_.complete() && !failure_;
}

void Pipeline::keep_acknowledged() {
  const auto low = watermark_.low();
  if (!low || (kept_ && compare(*low, *kept_) <= 0)) return;
  keep_(*low);
  kept_ = low;
}

}  // namespace meowmx::internal

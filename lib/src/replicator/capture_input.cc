// The capture input: a Pub run in-process with a sink that hands each
// change's pk to the workers and marks a transaction done only once every
// worker has finished every pk of it, so the stream is acknowledged no
// further than that (the pub's low watermark).
#include <map>
#include <mutex>
#include <type_traits>

#include "common/logger.h"
#include "meowmx/capture/pub.h"
#include "meowmx/error.h"
#include "replicator/input.h"

namespace meowmx::internal {
namespace {

// Tokens of one session: its number above the transaction's sequence, so
// marks owed to a session before are recognised and dropped.
constexpr int kSessionShift = 40;

// PostgreSQL sources have a database to park in; others need a file.
std::string parking_dsn(const SourceOptions& source) {
  return std::visit(
      [](const auto& options) -> std::string {
        using Options = std::decay_t<decltype(options)>;
        if constexpr (std::is_same_v<Options, PostgresSource> || std::is_same_v<Options, PostgresTriggerSource>) {
          return options.dsn;
        } else {
          return {};
        }
      },
      source);
}

std::string input_name(const SourceOptions& source) {
  if (const auto* postgres = std::get_if<PostgresSource>(&source)) return "postgres slot " + postgres->slot;
  return std::string(source_name(source));
}

// The change's place, with its transaction's id also for logical decoding:
// {"lsn": ..., "index": ..., "xid": ...}. A reader of the source needs it,
// since a commit can be decoded an instant before new snapshots see it.
std::string position_of(const Transaction& transaction, const ChangeEvent& change) {
  std::string position = change_position_json(transaction.position, change.index);
  if (std::holds_alternative<LsnPosition>(transaction.position)) {
    position.insert(position.size() - 1, R"(,"xid":)" + std::to_string(transaction.xid));
  }
  return position;
}

class ReplicatorSink : public Sink {
 public:
  void attach(Dispatch& dispatch) { dispatch_ = &dispatch; }

  std::string_view name() const override { return "replicator"; }

  std::optional<TransactionPosition> open(const StreamInfo&, SinkMarks& marks) override {
    std::lock_guard lock(mutex_);
    ++session_;
    marks_ = &marks;
    pending_.clear();
    return std::nullopt;
  }

  Interest interest(const CapturedTable& table) const override {
    for (const char* action : {"_write", "_update", "_delete"}) {
      if (dispatch_->wants(table.stem + action)) return Interest::kKeys;
    }
    return Interest::kNone;
  }

  void begin(const Transaction& transaction) override {
    std::lock_guard lock(mutex_);
    token_ = (session_ << kSessionShift) | transaction.sequence;
  }

  void change(const Transaction& transaction, const ChangeEvent& change) override {
    if (change.action == ChangeAction::kTruncate) {
      logger().warn("replicator: {} is not replicated: a truncate has no pks", change.name());
      return;
    }
    const std::string event = change.name();
    if (!dispatch_->wants(event)) return;
    dispatch_->route(event, pk_text(change), position_of(transaction, change), token_);
  }

  bool commit(const Transaction& transaction) override {
    dispatch_->flush();
    {
      std::lock_guard lock(mutex_);
      pending_[transaction.sequence] = {to_json_text(transaction.position), false};
    }
    // Recorded first: once sealed, a worker may report it done at once.
    const bool done_already = dispatch_->completion().seal(token_);
    if (done_already) {
      std::lock_guard lock(mutex_);
      pending_[transaction.sequence].done = true;
      advance();
    }
    return done_already;
  }

  void abort() override {
    dispatch_->flush();
    dispatch_->completion().abandon(token_);
  }

  void done(Token token) {
    const std::uint64_t sequence = token & ((Token{1} << kSessionShift) - 1);
    SinkMarks* marks = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (token >> kSessionShift != session_) return;
      if (const auto it = pending_.find(sequence); it != pending_.end()) it->second.done = true;
      advance();
      marks = marks_;
    }
    marks->done(sequence);
  }

  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (marks_) marks_->fail(error);
  }

  std::string acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

 private:
  struct Pending {
    std::string position;
    bool done = false;
  };

  // The oldest transactions all done: what the source may acknowledge.
  void advance() {
    while (!pending_.empty() && pending_.begin()->second.done) {
      acknowledged_ = std::move(pending_.begin()->second.position);
      pending_.erase(pending_.begin());
    }
  }

  Dispatch* dispatch_ = nullptr;
  mutable std::mutex mutex_;
  std::uint64_t session_ = 0;
  SinkMarks* marks_ = nullptr;
  Token token_ = 0;  // of the transaction begun last (dispatching thread only)
  std::map<std::uint64_t, Pending> pending_;  // committed transactions by sequence
  std::string acknowledged_;
};

class CaptureInputImpl : public Input {
 public:
  explicit CaptureInputImpl(const CaptureInput& options)
      : dsn_(parking_dsn(options.source)),
        name_(input_name(options.source)),
        pub_({.source = options.source, .max_retry_wait = options.max_retry_wait, .buffer_bytes = options.buffer_bytes},
             bus_) {
    auto sink = std::make_unique<ReplicatorSink>();
    sink_ = sink.get();
    pub_.add_sink(std::move(sink));
  }

  std::string name() const override { return name_; }

  std::unique_ptr<Parking> default_parking() const override {
    if (dsn_.empty()) throw InvalidArgument("the " + name_ + " source has no PostgreSQL database to park pks in: give a parked-pks file");
    return make_table_parking(dsn_, name_);
  }

  void run(Dispatch& dispatch) override {
    sink_->attach(dispatch);
    pub_.run();
  }
  void stop() override { pub_.stop(); }
  void fail(std::exception_ptr error) override { sink_->fail(error); }
  void done(Token token) override { sink_->done(token); }
  std::string acknowledged() const override { return sink_->acknowledged(); }

 private:
  std::string dsn_;
  std::string name_;
  SignalBus bus_;  // private: nobody listens, so it costs nothing
  Pub pub_;
  ReplicatorSink* sink_ = nullptr;  // owned by pub_
};

}  // namespace

std::unique_ptr<Input> make_capture_input(const CaptureInput& options) {
  return std::make_unique<CaptureInputImpl>(options);
}

}  // namespace meowmx::internal

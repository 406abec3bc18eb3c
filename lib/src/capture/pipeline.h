// Pipeline: the one path from a source to the sinks, Debezium's dispatcher.
//
// The source's thread hands it transactions (begin, changes, commit, or
// abort) into a buffer bounded in bytes; a dispatching thread of its own
// passes them to every sink in order. Each sink marks what it really has
// (at commit, or later when asynchronous); acknowledged() is the low
// watermark the source may confirm to its server. While the buffer is full
// (or drain() waits), the source's keepalive runs every interval, so a slow
// sink never lets the source's connection time out.
//
// A source whose server keeps no position for it (a MySQL binlog) gives the
// pipeline a store to keep the stream's position in: the dispatcher then
// stores the watermark after each transaction, and before it hands a sink
// any of the next one, so a kill repeats at most the transaction in hand.
#ifndef MEOWMX_SRC_CAPTURE_PIPELINE_H_
#define MEOWMX_SRC_CAPTURE_PIPELINE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "capture/watermark.h"
#include "common/waker.h"
#include "meowmx/capture/sink.h"

namespace meowmx::internal {

class Pipeline {
 public:
  // The sinks outlive the pipeline; `buffer_bytes` bounds what is held.
  Pipeline(std::vector<Sink*> sinks, std::size_t buffer_bytes);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens the sinks for the stream (their resume points, their interests),
  // once the source knows it; before any transaction. A pipeline serves one
  // session of a source.
  void open(const StreamInfo& stream);

  // A table of the stream by namespace and name; nullptr when not captured.
  const CapturedTable* table(std::string_view space, std::string_view name) const;
  // The most any sink wants of the table: kNone lets the source skip it,
  // kKeys lets it skip building rows.
  Interest interest(const CapturedTable& table) const;

  // Runs `keepalive` every `interval` while begin(), change(), commit() or
  // drain() wait, on the caller's thread. Replaced by each session.
  void set_keepalive(std::function<void()> keepalive, std::chrono::milliseconds interval);

  // Before the first transaction: `keep` stores the stream's position, on
  // the dispatching thread, once every sink has the transaction at that
  // position and every one before it, and before any sink gets a change of
  // a later one (the dispatcher waits for the marks of asynchronous sinks).
  // Called with increasing positions only; what it throws fails the pipeline.
  void keep_positions(std::function<void(const TransactionPosition&)> keep);

  // The source's side, from one thread. Each may wait for room in the buffer
  // and rethrows the failure of a sink. A change belongs to the transaction
  // begun last; commit() gives the transaction's final position.
  void begin(TransactionPosition position, std::uint64_t xid, std::string commit_time);
  void change(ChangeEvent change);
  void commit(TransactionPosition position);
  // The transaction begun last will not be completed: sinks forget it.
  void abort();
  // Waits until every committed transaction is marked done by every sink.
  void drain();

  // The position of the last transaction that every sink has, and every one
  // before it too; nullopt before the first. Any thread.
  std::optional<TransactionPosition> acknowledged() const;
  // Whether every committed transaction is done (nothing in the buffer, no
  // sink holding one): then the source may acknowledge beyond them.
  bool idle() const;
  // Woken whenever the low watermark moves, so the source can confirm it at
  // once; the source clears it before reading acknowledged().
  Waker& progress() { return progress_; }
  // Rethrows the failure of a sink (or of keeping a position), if any; for
  // a source that has nothing to hand over for a while.
  void rethrow_failure();

 private:
  // A change, or the transaction it begins or commits, never both: every
  // change of a transaction passes through here, so it carries nothing else.
  struct Item {
    enum class Kind { kBegin, kChange, kCommit, kAbort, kStop } kind;
    std::variant<std::monostate, Transaction, ChangeEvent> payload;  // kBegin and kCommit, kChange
    std::size_t bytes = 0;
  };
  struct SinkState {
    Sink* sink = nullptr;
    std::optional<TransactionPosition> has;  // the last position it has (resume point, then delivered)
    std::vector<Interest> interests;         // by index into stream_.tables
    bool in_transaction = false;             // begun and not skipped
  };
  class Marks;

  // The source's items gather in the outbox and reach the queue at the end
  // of a transaction or in pieces of a large one.
  void push(Item item);
  void flush();
  void wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& ready);
  void dispatch();
  void deliver(Item& item);
  // The dispatcher's side of keep_positions(): false when the pipeline
  // fails or stops before every sink has every committed transaction.
  bool await_marks();
  void keep_acknowledged();
  void fail(std::exception_ptr error);

  std::vector<SinkState> sinks_;
  std::vector<std::unique_ptr<Marks>> marks_;
  const std::size_t buffer_bytes_;
  StreamInfo stream_;
  std::vector<Interest> table_interests_;  // max over sinks, by table index

  static constexpr std::size_t kOutboxItems = 256;
  std::vector<Item> outbox_;  // the source's, not yet queued
  std::size_t outbox_bytes_ = 0;
  Transaction open_transaction_;        // the source's, between begin() and commit()
  Transaction dispatched_transaction_;  // the dispatcher's, between begin and commit
  std::uint64_t next_sequence_ = 1;
  std::function<void()> keepalive_;
  std::chrono::milliseconds keepalive_interval_{10000};
  std::function<void(const TransactionPosition&)> keep_;
  std::optional<TransactionPosition> kept_;  // the dispatcher's: the last position keep_ stored
  bool halted_ = false;                      // the dispatcher's: delivers nothing but aborts any more
  std::vector<Item> batch_;                  // the dispatcher's: swapped with the queue, so neither reallocates

  Watermark watermark_;
  Waker progress_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Item> queue_;
  std::size_t queued_bytes_ = 0;  // queued, and held by the dispatcher
  bool dispatching_ = false;  // the dispatcher holds items outside the queue
  bool stopping_ = false;     // the pipeline is being destroyed
  std::exception_ptr failure_;
  std::atomic<bool> failed_{false};
  std::thread dispatcher_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_PIPELINE_H_

// RecordingSink: a Sink for tests that writes down what a Pub gives it, as
// lines in arrival order, and lets a test wait until enough has arrived.
//
//   testing::Recording recording;
//   pub.add_sink(std::make_unique<testing::RecordingSink>(recording));
//   REQUIRE(recording.wait_for_commits(2));
//   CHECK(recording.lines() == std::vector<std::string>{"begin", "orders_write 7", "commit", ...});
#ifndef MEOWMX_TESTS_SUPPORT_RECORDING_SINK_H_
#define MEOWMX_TESTS_SUPPORT_RECORDING_SINK_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/capture/sink.h"

namespace meowmx::testing {

// One change as the sink received it.
struct RecordedChange {
  std::string name;  // "orders_update"
  std::vector<Value> key;
  std::int64_t index = 0;
  std::uint64_t xid = 0;  // of its transaction
};

// What a RecordingSink was given; it must outlive the Pub the sink is in.
// Any thread may read it and wait on it.
class Recording {
 public:
  // "begin", one line per change with its name and key_json() ("orders_update
  // 42", "prices_write \"1.50\"", "pairs_delete [\"a\",7]", "orders_truncate
  // null"), "commit", "abort", in order.
  std::vector<std::string> lines() const;
  // The change lines alone.
  std::vector<std::string> change_lines() const;
  std::vector<RecordedChange> changes() const;
  // The committed transactions' positions, as to_json_text() writes them.
  std::vector<std::string> commit_positions() const;

  // Wait until at least `count` changes (commits) arrived; false on timeout.
  bool wait_for_changes(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  bool wait_for_commits(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  friend class RecordingSink;
  void add_line(std::string line);
  void add_change(std::string line, RecordedChange change);
  void add_commit(std::string position);
  bool wait(std::chrono::milliseconds timeout, const std::vector<std::string>& records, std::size_t count) const;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::vector<std::string> change_lines_;
  std::vector<RecordedChange> changes_;
  std::vector<std::string> commit_positions_;
};

// A synchronous sink that records into `recording` and asks every table for `interest`.
class RecordingSink : public Sink {
 public:
  explicit RecordingSink(Recording& recording, Interest interest = Interest::kKeys)
      : recording_(recording), interest_(interest) {}

  std::string_view name() const override { return "recording"; }
  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks& marks) override;
  Interest interest(const CapturedTable& table) const override;
  void begin(const Transaction& transaction) override;
  void change(const Transaction& transaction, const ChangeEvent& change) override;
  bool commit(const Transaction& transaction) override;
  void abort() override;

 private:
  Recording& recording_;
  const Interest interest_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_RECORDING_SINK_H_

#include "support/recording_sink.h"

#include <utility>

namespace meowmx::testing {

std::vector<std::string> Recording::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::vector<std::string> Recording::change_lines() const {
  std::lock_guard lock(mutex_);
  return change_lines_;
}

std::vector<RecordedChange> Recording::changes() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

std::vector<std::string> Recording::commit_positions() const {
  std::lock_guard lock(mutex_);
  return commit_positions_;
}

bool Recording::wait_for_changes(std::size_t count, std::chrono::milliseconds timeout) const {
  return wait(timeout, change_lines_, count);
}

bool Recording::wait_for_commits(std::size_t count, std::chrono::milliseconds timeout) const {
  return wait(timeout, commit_positions_, count);
}

bool Recording::wait(std::chrono::milliseconds timeout, const std::vector<std::string>& records,
                     std::size_t count) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return records.size() >= count; });
}

void Recording::add_line(std::string line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  changed_.notify_all();
}

void Recording::add_change(std::string line, RecordedChange change) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
    change_lines_.push_back(std::move(line));
    changes_.push_back(std::move(change));
  }
  changed_.notify_all();
}

void Recording::add_commit(std::string position) {
  {
    std::lock_guard lock(mutex_);
    lines_.emplace_back("commit");
    commit_positions_.push_back(std::move(position));
  }
  changed_.notify_all();
}

std::optional<TransactionPosition> RecordingSink::open(const StreamInfo&, SinkMarks&) { return std::nullopt; }

Interest RecordingSink::interest(const CapturedTable&) const { return interest_; }

void RecordingSink::begin(const Transaction&) { recording_.add_line("begin"); }

void RecordingSink::change(const Transaction& transaction, const ChangeEvent& change) {
  recording_.add_change(change.name() + " " + key_json(change),
                        RecordedChange{change.name(), change.key, change.index, transaction.xid});
}

bool RecordingSink::commit(const Transaction& transaction) {
  recording_.add_commit(to_json_text(transaction.position));
  return true;
}

void RecordingSink::abort() { recording_.add_line("abort"); }

}  // namespace meowmx::testing

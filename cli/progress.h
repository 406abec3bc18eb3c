// Progress of long work, on stderr only (stdout stays the machine output): on a
// terminal one live line rewritten in place; elsewhere a one-line summary per
// interval, as Debezium logs "N records sent during previous 00:01:00".
#ifndef MEOWMX_CLI_PROGRESS_H_
#define MEOWMX_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace meowmx::cli {

struct ProgressOptions {
  std::string label;                          // who reports, e.g. "sub printer"
  std::string unit = "events delivered";
  std::chrono::seconds interval{60};          // between summaries when stderr is no terminal
  bool quiet = false;                         // report nothing
};

class ProgressReporter {
 public:
  explicit ProgressReporter(ProgressOptions options);
  // Ends a live line; after summaries, says how much was done in all.
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // Counts `count` more items done, the last at `position`; reports when due.
  void add(std::int64_t count, const std::string& position);

 private:
  using Clock = std::chrono::steady_clock;
  void live_line();
  void summary_line(Clock::time_point now);

  ProgressOptions options_;
  bool terminal_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_report_ = started_;
  std::int64_t total_ = 0;
  std::int64_t since_report_ = 0;
  std::string position_;
  bool reported_ = false;
};

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_PROGRESS_H_

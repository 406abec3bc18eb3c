#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace meowmx::cli {
namespace {

constexpr auto kLiveRefresh = std::chrono::milliseconds(250);

// 00:01:00 for a minute.
std::string clock_text(std::chrono::seconds elapsed) {
  const auto s = elapsed.count();
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return text;
}

double per_second(std::int64_t count, std::chrono::steady_clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  return seconds > 0 ? count / seconds : 0;
}

}  // namespace

ProgressReporter::ProgressReporter(ProgressOptions options)
    : options_(std::move(options)), terminal_(isatty(STDERR_FILENO) == 1) {}

ProgressReporter::~ProgressReporter() {
  if (!reported_) return;
  if (terminal_) {
    std::fputs("\n", stderr);
  } else {
    std::fprintf(stderr, "%s: %lld %s in all in %s, at %s\n", options_.label.c_str(),
                 static_cast<long long>(total_), options_.unit.c_str(),
                 clock_text(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_)).c_str(),
                 position_.c_str());
  }
}

void ProgressReporter::add(std::int64_t count, const std::string& position) {
  if (options_.quiet) return;
  total_ += count;
  since_report_ += count;
  position_ = position;
  const auto now = Clock::now();
  if (terminal_ && now - last_report_ >= kLiveRefresh) {
    last_report_ = now;
    live_line();
  } else if (!terminal_ && now - last_report_ >= options_.interval) {
    summary_line(now);
  }
}

void ProgressReporter::live_line() {
  std::fprintf(stderr, "\r%s: %lld %s, %.0f/s, at %s\033[K", options_.label.c_str(),
               static_cast<long long>(total_), options_.unit.c_str(),
               per_second(total_, Clock::now() - started_), position_.c_str());
  std::fflush(stderr);
  reported_ = true;
}

void ProgressReporter::summary_line(Clock::time_point now) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - last_report_);
  std::fprintf(stderr, "%s: %lld %s during the previous %s (%.0f/s), %lld in all, at %s\n",
               options_.label.c_str(), static_cast<long long>(since_report_), options_.unit.c_str(),
               clock_text(elapsed).c_str(), per_second(since_report_, now - last_report_),
               static_cast<long long>(total_), position_.c_str());
  std::fflush(stderr);
  since_report_ = 0;
  last_report_ = now;
  reported_ = true;
}

}  // namespace meowmx::cli

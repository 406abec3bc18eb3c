#include "capture/session_runner.h"

#include "capture/pipeline.h"
#include "common/backoff.h"
#include "common/logger.h"

namespace meowmx::internal {
namespace {

// A session that streamed this long was healthy: the next failure starts
// the backoff from the beginning again.
constexpr auto kHealthySession = std::chrono::seconds(10);

}  // namespace

void run_sessions(Source& source, const std::vector<Sink*>& sinks, const SessionOptions& options,
                  const Waker& stop) {
  Backoff backoff(options.first_retry_wait, options.max_retry_wait);
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    try {
      Pipeline pipeline(sinks, options.buffer_bytes);
      source.run(pipeline, stop);
      return;
    } catch (const RetryLater& e) {
      logger().warn("{}; trying again", e.what());
    } catch (const ConnectionError& e) {
      if (!source.streaming()) throw;
      logger().warn("{}; reconnecting", e.what());
    }
    if (std::chrono::steady_clock::now() - started > kHealthySession) backoff.reset();
    if (stop.wait_for(backoff.next())) return;
  }
}

}  // namespace meowmx::internal

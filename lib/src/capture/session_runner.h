// run_sessions: how a Pub runs its source. Each session gets a pipeline of
// its own (the sinks are opened again and say afresh what they have); a
// session that fails with ConnectionError after streaming began is retried
// with backoff, one that fails before is a set-up mistake and rethrown.
#ifndef MEOWMX_SRC_CAPTURE_SESSION_RUNNER_H_
#define MEOWMX_SRC_CAPTURE_SESSION_RUNNER_H_

#include <chrono>
#include <cstddef>
#include <vector>

#include "capture/source.h"
#include "common/waker.h"
#include "meowmx/capture/sink.h"

namespace meowmx::internal {

struct SessionOptions {
  std::chrono::milliseconds first_retry_wait{100};
  std::chrono::milliseconds max_retry_wait{30000};
  std::size_t buffer_bytes = 64 << 20;  // per session's pipeline
};

// Returns when the source is done or `stop` fires; throws what a session
// throws, except the failures worth another session (RetryLater, and
// ConnectionError once the source has streamed).
void run_sessions(Source& source, const std::vector<Sink*>& sinks, const SessionOptions& options,
                  const Waker& stop);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SESSION_RUNNER_H_

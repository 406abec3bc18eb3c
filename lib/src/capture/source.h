// Source: where changes come from. A source runs sessions against its server
// and feeds the Pipeline; Pub builds it from its options and retries it.
#ifndef MEOWMX_SRC_CAPTURE_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_SOURCE_H_

#include "capture/pipeline.h"
#include "common/waker.h"
#include "meowmx/error.h"

namespace meowmx::internal {

// A condition that passes by itself, e.g. another process still holds the
// slot: Pub waits and tries again instead of failing.
class RetryLater : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

class Source {
 public:
  virtual ~Source() = default;
  // One session: connects, resolves the tables, opens the pipeline
  // (Pipeline::open), prepares the server side, then feeds the pipeline
  // until `stop` fires (after the transaction in hand, drained and
  // acknowledged) or the source is done. Throws on failure; ConnectionError
  // once streaming() is true means "try again" (the pipeline has been told
  // to abort a transaction left half-way).
  virtual void run(Pipeline& pipeline, const Waker& stop) = 0;
  // Whether a session ever got as far as streaming: after that, a lost
  // connection is worth retrying rather than a set-up mistake.
  virtual bool streaming() const = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SOURCE_H_

// Source: where changes come from. A source runs a session against the
// database and feeds the shared Pipeline; Pub runs it and retries it.
#ifndef MEOWMX_SRC_CAPTURE_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_SOURCE_H_

#include "meowmx/error.h"
#include "capture/pipeline.h"

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
  // One session: prepares the server side, then feeds `pipeline` until the
  // waker fires (at a transaction boundary) or the source is done. Throws on
  // failure; ConnectionError once streaming() is true means "try again".
  virtual void run(Pipeline& pipeline) = 0;
  // Whether a session ever got as far as streaming: after that, a lost
  // connection is worth retrying rather than a set-up mistake.
  virtual bool streaming() const = 0;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_SOURCE_H_

// Input: where the replicator's changes come from. Each runs on the thread
// of Replicator::run(), feeding the Dispatch, and acknowledges a token when
// the Completion reports it done.
#ifndef MEOWMX_SRC_REPLICATOR_INPUT_H_
#define MEOWMX_SRC_REPLICATOR_INPUT_H_

#include <exception>
#include <memory>
#include <string>

#include "meowmx/replicator.h"
#include "replicator/dispatch.h"
#include "replicator/parking.h"

namespace meowmx::internal {

class Input {
 public:
  virtual ~Input() = default;
  // For logs and parked pks: "postgres slot orders_repl", "subscription orders", ...
  virtual std::string name() const = 0;
  // Where pks are parked when no file is given; throws InvalidArgument when
  // the input has no database of its own.
  virtual std::unique_ptr<Parking> default_parking() const = 0;
  // Feeds `dispatch` until stop() or the input's end; throws on failure.
  virtual void run(Dispatch& dispatch) = 0;
  // Any thread: run() returns once what it read is done and acknowledged.
  virtual void stop() = 0;
  // Any thread: the workers failed; run() ends with `error`.
  virtual void fail(std::exception_ptr error) = 0;
  // A worker's thread: every pk of the token is done.
  virtual void done(Token token) = 0;
  // Any thread: see ReplicatorStatus::acknowledged.
  virtual std::string acknowledged() const = 0;
};

std::unique_ptr<Input> make_capture_input(const CaptureInput& options);
std::unique_ptr<Input> make_subscription_input(const SubscriptionInput& options);
std::unique_ptr<Input> make_zmq_input(const ZmqInput& options);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_INPUT_H_

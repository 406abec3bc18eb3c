// TriggerSource: changes through statement triggers and LISTEN/NOTIFY.
//
// Low latency and no replication privileges needed, but lossy by design:
// NOTIFY reaches only sessions listening at commit time, so changes made
// while no pub listens are never seen. A session LISTENs first, then
// installs the triggers (triggers.h), then hands the pipeline one
// transaction at a time, each once all of its notifications are in.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGER_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGER_SOURCE_H_

#include <vector>

#include "capture/source.h"
#include "meowmx/capture/pub.h"
#include "meowmx/capture/table.h"

namespace meowmx::internal {

class TriggerSource : public Source {
 public:
  // Checks the options (InvalidArgument).
  explicit TriggerSource(PostgresTriggerSource options);
  void run(Pipeline& pipeline, const Waker& stop) override;
  bool streaming() const override { return streaming_; }

 private:
  PostgresTriggerSource options_;
  std::vector<TableName> tables_;
  bool streaming_ = false;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_TRIGGER_SOURCE_H_

// LogicalSource: changes through PostgreSQL logical decoding (pgoutput).
//
// A session checks wal_level and the tables, creates the publication and
// then the slot, streams the slot from its confirmed position and
// acknowledges each transaction once the pipeline has passed it to every
// receiver. Between transactions it also acknowledges the server's keepalive
// positions, so a slot whose tables are idle does not hold back WAL that
// other activity writes.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_

#include <vector>

#include "meowmx/capture/pub.h"
#include "capture/postgres/identifiers.h"
#include "capture/source.h"
#include "common/waker.h"

namespace meowmx::internal {

class LogicalSource : public Source {
 public:
  LogicalSource(const PubOptions& options, std::vector<TableName> tables, const Waker& waker);
  void run(Pipeline& pipeline) override;
  bool streaming() const override { return streaming_; }

 private:
  const PubOptions& options_;
  std::vector<TableName> tables_;
  const Waker& waker_;
  bool streaming_ = false;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_

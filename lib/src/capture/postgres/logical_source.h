// LogicalSource: changes through PostgreSQL logical decoding (pgoutput).
//
// A session checks wal_level and the tables, creates the publication and
// then the slot, streams the slot from its confirmed position into the
// pipeline, and confirms to the server what the pipeline's low watermark
// says every sink has. Status updates go out every status_interval also
// while the pipeline's buffer is full or it drains, so slow sinks never let
// the server's wal_sender_timeout drop the connection. Between transactions,
// with nothing outstanding, it also confirms the server's keepalive
// positions, so a slot whose tables are idle does not hold back WAL that
// other activity writes.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_

#include <vector>

#include "capture/source.h"
#include "meowmx/capture/pub.h"

namespace meowmx::internal {

class LogicalSource : public Source {
 public:
  // Checks the options (InvalidArgument).
  explicit LogicalSource(PostgresSource options);
  void run(Pipeline& pipeline, const Waker& stop) override;
  bool streaming() const override { return streaming_; }

 private:
  PostgresSource options_;
  std::vector<TableName> tables_;
  bool streaming_ = false;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_LOGICAL_SOURCE_H_

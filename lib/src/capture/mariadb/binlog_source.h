// BinlogSource: changes from a MySQL/MariaDB row binlog, read as a replica.
//
// A session checks the server's binlog settings, resolves the tables and
// their primary keys, opens the pipeline, chooses its start (the kept
// position, else MysqlSource::from; a purged binlog is an error naming what
// was lost), and dumps the binlog from there: each transaction's rows
// events (decoded with the TABLE_MAP before them) go to the pipeline as one
// transaction, in binlog order. The position every sink has is kept after
// each transaction end (XID, COMMIT, a standalone DDL) and rotation, never
// inside a transaction.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_SOURCE_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_SOURCE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "capture/mariadb/mysql_dsn.h"
#include "capture/source.h"
#include "meowmx/capture/pub.h"

namespace meowmx::internal {

// The server id of a stream without one: a stable hash of its name into
// [1000, 2^32 - 1], away from the small ids servers and replicas are given by hand.
std::uint32_t default_server_id(std::string_view slot);

class BinlogSource : public Source {
 public:
  // Checks the options (InvalidArgument).
  explicit BinlogSource(MysqlSource options);
  void run(Pipeline& pipeline, const Waker& stop) override;
  bool streaming() const override { return streaming_; }

 private:
  MysqlSource options_;
  MysqlDsn dsn_;
  std::vector<TableName> tables_;
  bool streaming_ = false;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_SOURCE_H_

// PositionStore: where the MySQL source keeps its stream's position (the
// last transaction every sink has), since a MySQL server keeps none for its
// replicas: a row of meowmx.capture_source_positions in PostgreSQL (written
// with synchronous_commit off), or a state file (created by rename, then
// overwritten in place by one write of at most a page; not fsynced). Both
// outlive a kill of the process; a crash of the machine (or of PostgreSQL)
// may bring back an older position.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_POSITION_STORE_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_POSITION_STORE_H_

#include <memory>
#include <optional>

#include "meowmx/capture/position.h"
#include "meowmx/capture/pub.h"

namespace meowmx::internal {

class PositionStore {
 public:
  virtual ~PositionStore() = default;
  // The kept position; nullopt when none was kept yet.
  virtual std::optional<BinlogPosition> load() = 0;
  virtual void save(const BinlogPosition& position) = 0;
};

// The store `options` names (state_file first, else position_dsn). Throws
// InvalidArgument when it names none, ConnectionError when PostgreSQL
// cannot be reached, Error when its meowmx schema is not set up.
std::unique_ptr<PositionStore> open_position_store(const MysqlSource& options);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_POSITION_STORE_H_

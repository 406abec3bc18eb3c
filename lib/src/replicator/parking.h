// Parking: where a pk goes after its last failed attempt, so nothing is
// dropped silently: meowmx.replicator_parked in the durable input's database,
// or a JSON-lines file.
#ifndef MEOWMX_SRC_REPLICATOR_PARKING_H_
#define MEOWMX_SRC_REPLICATOR_PARKING_H_

#include <filesystem>
#include <memory>
#include <string>

#include "replicator/pk_queue.h"

namespace meowmx::internal {

class Parking {
 public:
  virtual ~Parking() = default;
  // Stores the entry for good before returning; throws Error (or
  // ConnectionError) when it cannot, and the replicator stops.
  virtual void park(const std::string& topic, const PkEntry& entry) = 0;
};

// One JSON object per line: {"input", "topic", "event", "pk", "position",
// "attempts", "error", "parked_at"}, flushed and synced per pk.
std::unique_ptr<Parking> make_file_parking(const std::filesystem::path& path, const std::string& input);
// Throws InvalidArgument when the database has no meowmx.replicator_parked
// (meowmx setup creates it).
std::unique_ptr<Parking> make_table_parking(const std::string& dsn, const std::string& input);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REPLICATOR_PARKING_H_

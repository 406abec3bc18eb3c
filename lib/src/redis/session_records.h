// SessionRecords: prepare-commit's keys in Redis, shared by the writers
// (PrepareCommit) and recovery. Per namespace (a day by default) the set
// "<ns>:prepared" of sessions not finished, and per session the JSON record
// "<ns>:session:<id>", the namespace being that of the prepare time.
#ifndef MEOWMX_SRC_REDIS_SESSION_RECORDS_H_
#define MEOWMX_SRC_REDIS_SESSION_RECORDS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meowmx/redis/prepare_commit.h"
#include "redis/connection.h"
#include "redis/key_space.h"

namespace meowmx::internal {

class SessionRecords {
 public:
  // Connects on first use; throws InvalidArgument for bad options.
  explicit SessionRecords(PrepareCommitOptions options);

  const PrepareCommitOptions& options() const noexcept { return options_; }

  // In one MULTI/EXEC: the id into the prepared set and the record, both with the TTL.
  void prepare(const PreparedSession& session);
  // In one MULTI/EXEC: the store adds at `time`, the id out of the prepared
  // set and the record's state set to `state`. Then the signals, if any.
  void publish(PreparedSession session, RedisTime time, std::string_view state);
  // Without adds: the id out of the prepared set, the record's state set.
  void finish(PreparedSession session, std::string_view state);

  // A session's record in namespace `space`; nullopt when there is none.
  // The id out of namespace `space`'s prepared set (its record is gone).
  void forget(std::string_view space, std::string_view id);
  std::optional<PreparedSession> read(std::string_view space, std::string_view id);
  // The namespaces of the records: "<namespace>:prepared", "<namespace>:session:<id>".
  const KeySpace& spaces() const noexcept { return records_; }
  // The ids in the prepared set of namespace `space`.
  std::vector<std::string> prepared_in(std::string_view space);
  // The ids in the prepared sets of every namespace from `from` to now, as
  // (namespace, id), oldest namespace first.
  std::vector<std::pair<std::string, std::string>> prepared_since(RedisTime from);

 private:
  RedisConnection& redis();
  // Queues SET of the record with the TTL and, with `into_set`, SADD and
  // EXPIRE of the prepared set, else SREM; returns how many it queued.
  std::size_t queue_record(const PreparedSession& session, bool into_set);

  PrepareCommitOptions options_;
  KeySpace records_;
  KeySpace store_keys_;
  std::optional<RedisConnection> redis_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REDIS_SESSION_RECORDS_H_

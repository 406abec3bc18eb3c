// The redis sink: captured changes into the Redis event store, for `meowmx
// pub --sink redis` or a Pub in C++ (add_sink(make_redis_sink(...))).
//
// Per change ZADD <namespace>:<stem>_<action> GT CH <score> <pk>, the score
// being the transaction's commit time (UTC seconds, millisecond fraction),
// the pk as the print and zmq sinks write it (a composite key as its JSON
// text). A transaction's adds go in one MULTI/EXEC together with the
// stream's resume point (hash `positions_key`, field = the stream's id), so
// a restarted pub skips what the store already has; a transaction of more
// than 10,000 changes goes in several MULTI/EXECs, the resume point in the
// last (a repeated add with the same score changes nothing). Truncates carry
// no key and are skipped. A lost connection is a ConnectionError: the pub
// reconnects with backoff and the transaction comes again.
#ifndef MEOWMX_REDIS_REDIS_SINK_H_
#define MEOWMX_REDIS_REDIS_SINK_H_

#include <memory>
#include <string>

#include "meowmx/capture/sink.h"
#include "meowmx/redis/event_store.h"

namespace meowmx {

struct RedisSinkOptions {
  // Where and how keys are written; the clock dates transactions whose
  // source does not know their commit time.
  RedisEventStoreOptions store;
  // The hash of resume points, one field per stream; it has no TTL.
  std::string positions_key = "meowmx:positions";
};

// Throws InvalidArgument for bad options, ConnectionError when Redis cannot
// be reached.
std::unique_ptr<Sink> make_redis_sink(const RedisSinkOptions& options);

}  // namespace meowmx

#endif  // MEOWMX_REDIS_REDIS_SINK_H_

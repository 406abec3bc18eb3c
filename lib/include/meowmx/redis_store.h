// The Redis event store in one include: the store, the redis sink for a
// Pub, prepare-commit for writers, and recovery.
#ifndef MEOWMX_REDIS_STORE_H_
#define MEOWMX_REDIS_STORE_H_

#include "meowmx/redis/connection_options.h"
#include "meowmx/redis/event_store.h"
#include "meowmx/redis/prepare_commit.h"
#include "meowmx/redis/recovery.h"
#include "meowmx/redis/redis_sink.h"
#include "meowmx/redis/redis_time.h"

#endif  // MEOWMX_REDIS_STORE_H_

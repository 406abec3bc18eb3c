// The whole public API of meowmx in one include.
#ifndef MEOWMX_MEOWMX_H_
#define MEOWMX_MEOWMX_H_

#include "meowmx/aggregate.h"
#include "meowmx/change_capture.h"
#include "meowmx/client.h"
#include "meowmx/dev_cluster.h"
#include "meowmx/error.h"
#include "meowmx/event.h"
#include "meowmx/expected_version.h"
#include "meowmx/options.h"
#include "meowmx/position.h"
#include "meowmx/replicator.h"
#include "meowmx/replicator/postgres_target.h"
#include "meowmx/subscription.h"
#include "meowmx/validation.h"

#endif  // MEOWMX_MEOWMX_H_

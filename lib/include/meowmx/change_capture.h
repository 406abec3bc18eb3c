// Change capture in one include: tables, values, positions, change events,
// sinks, signals and the pub.
#ifndef MEOWMX_CHANGE_CAPTURE_H_
#define MEOWMX_CHANGE_CAPTURE_H_

#include "meowmx/capture/change_event.h"
#include "meowmx/capture/position.h"
#include "meowmx/capture/pub.h"
#include "meowmx/capture/signal.h"
#include "meowmx/capture/sink.h"
#include "meowmx/capture/table.h"
#include "meowmx/capture/value.h"

#endif  // MEOWMX_CHANGE_CAPTURE_H_

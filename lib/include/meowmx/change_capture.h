// Change capture in one include: change events, signals, sinks and the pub.
#ifndef MEOWMX_CHANGE_CAPTURE_H_
#define MEOWMX_CHANGE_CAPTURE_H_

#include "meowmx/change_event.h"
#include "meowmx/pub.h"
#include "meowmx/signal.h"
#include "meowmx/sink.h"

#endif  // MEOWMX_CHANGE_CAPTURE_H_

// Change capture in one include: change events, signals, sinks and the pub.
#ifndef MEOWMX_CHANGE_CAPTURE_H_
#define MEOWMX_CHANGE_CAPTURE_H_

#include "meowmx/capture/change_event.h"
#include "meowmx/capture/pub.h"
#include "meowmx/capture/signal.h"
#include "meowmx/capture/sink.h"

#endif  // MEOWMX_CHANGE_CAPTURE_H_

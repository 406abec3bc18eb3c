// The progress of `meowmx pub` on stderr, as one more sink: changes
// captured, their rate and the last position (see progress.h).
#ifndef MEOWMX_CLI_PUB_PROGRESS_SINK_H_
#define MEOWMX_CLI_PUB_PROGRESS_SINK_H_

#include <memory>

#include "meowmx/capture/sink.h"
#include "progress.h"

namespace meowmx::cli {

std::unique_ptr<Sink> make_progress_sink(ProgressOptions options);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_PUB_PROGRESS_SINK_H_

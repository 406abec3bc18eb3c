// JSON lines: the CLI's machine output, one JSON object per line on stdout.
#ifndef MEOWMX_CLI_JSON_LINES_H_
#define MEOWMX_CLI_JSON_LINES_H_

#include <vector>

#include <nlohmann/json.hpp>

#include "meowmx/event.h"

namespace meowmx::cli {

void print_json_line(const nlohmann::json& value);
// One json_line() per event (payloads as stored, every digit kept), then a flush.
void print_events(const std::vector<RecordedEvent>& events);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_JSON_LINES_H_

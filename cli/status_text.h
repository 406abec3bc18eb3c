// How status commands (status, pub-status) show figures to a person: aligned
// tables without trailing blanks, durations and byte counts as precise as a
// reader of a lag needs. Machine output stays JSON (json_lines.h).
#ifndef MEOWMX_CLI_STATUS_TEXT_H_
#define MEOWMX_CLI_STATUS_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace meowmx::cli {

// 4.2s, 45s, 19m52s, 3h04m, 2d03h.
std::string format_duration(double seconds);
// 812 bytes, 64 kB, 120 MB.
std::string format_bytes(std::int64_t bytes);
// Prints the rows (the first one the header) to stdout with columns aligned.
void print_aligned(const std::vector<std::vector<std::string>>& table);

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_STATUS_TEXT_H_

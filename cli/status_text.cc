#include "status_text.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace meowmx::cli {

std::string format_duration(double seconds) {
  char text[32];
  const auto whole = static_cast<long long>(seconds);
  if (seconds < 10) {
    std::snprintf(text, sizeof text, "%.1fs", seconds);
  } else if (whole < 60) {
    std::snprintf(text, sizeof text, "%llds", whole);
  } else if (whole < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", whole / 60, whole % 60);
  } else if (whole < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", whole / 3600, whole / 60 % 60);
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", whole / 86400, whole / 3600 % 24);
  }
  return text;
}

std::string format_bytes(std::int64_t bytes) {
  if (bytes < 10 * 1024) return std::to_string(bytes) + " bytes";
  if (bytes < 10 * 1024 * 1024) return std::to_string(bytes / 1024) + " kB";
  return std::to_string(bytes / (1024 * 1024)) + " MB";
}

void print_aligned(const std::vector<std::vector<std::string>>& table) {
  if (table.empty()) return;
  std::vector<std::size_t> widths(table[0].size(), 0);
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : table) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] + 2 - row[i].size(), ' ');
    }
    std::cout << line << "\n";
  }
  std::cout.flush();
}

}  // namespace meowmx::cli

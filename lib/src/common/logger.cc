#include "common/logger.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace meowmx::internal {
namespace {

constexpr const char* kLoggerName = "meowmx";

std::shared_ptr<spdlog::logger> registered_logger() {
  if (auto existing = spdlog::get(kLoggerName)) return existing;
  try {
    return spdlog::stderr_color_mt(kLoggerName);
  } catch (const spdlog::spdlog_ex&) {
    return spdlog::get(kLoggerName);  // registered by another thread meanwhile
  }
}

}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = registered_logger();
  return *instance;
}

}  // namespace meowmx::internal

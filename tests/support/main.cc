// Catch2's main for every test binary. The cluster starts lazily and stops at
// exit; library logs stay quiet unless MEOWMX_TEST_LOG_LEVEL says otherwise.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

#include <spdlog/spdlog.h>

int main(int argc, char* argv[]) {
  const char* level = std::getenv("MEOWMX_TEST_LOG_LEVEL");
  spdlog::set_level(spdlog::level::from_str(level ? level : "warn"));
  return Catch::Session().run(argc, argv);
}

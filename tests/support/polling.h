// Waiting for a condition in tests: poll it instead of sleeping a guessed time.
#ifndef MEOWMX_TESTS_SUPPORT_POLLING_H_
#define MEOWMX_TESTS_SUPPORT_POLLING_H_

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace meowmx::testing {

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

// As eventually(), but a timeout fails the test, naming `what` was awaited.
inline void wait_until(const std::string& what, std::chrono::milliseconds timeout,
                       const std::function<bool()>& condition) {
  if (!eventually(condition, timeout)) FAIL("timed out waiting until " << what);
}

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_POLLING_H_

// The wake-up sender's thread against its owner's destruction: it ends
// however soon after its start the sender goes, with or without wake-ups
// queued (to a server that is not there: logged, not retried).
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "meowmx/options.h"
#include "subscriptions/wake_up_sender.h"

using namespace meowmx;
using namespace meowmx::internal;
using namespace std::chrono_literals;

namespace {

// Well within unit_test's ctest timeout, so a hang fails here, by name.
constexpr auto kLimit = 20s;

// Runs `work` on a detached thread: a hung one is left behind, the test
// having failed anyway, instead of blocking the test in a join.
template <typename Work>
std::future<void> detached(Work work) {
  std::packaged_task<void()> task(std::move(work));
  std::future<void> ended = task.get_future();
  std::thread(std::move(task)).detach();
  return ended;
}

ClientOptions unreachable() {
  ClientOptions options;
  options.dsn = "postgresql://meowmx@127.0.0.1:1/nothing?connect_timeout=2";
  return options;
}

}  // namespace

TEST_CASE("a wake-up sender is destroyed at once, however soon after its start") {
  // More loops than cores, so that a sender's thread is sometimes pre-empted
  // between its wait's check and its sleep (where a lost stop would hang it).
  std::vector<std::future<void>> loops;
  for (int loop = 0; loop < 8; ++loop) {
    loops.push_back(detached([] {
      for (int i = 0; i < 1500; ++i) WakeUpSender sender(unreachable());
    }));
  }
  const auto deadline = std::chrono::steady_clock::now() + kLimit;
  for (auto& loop : loops) CHECK(loop.wait_until(deadline) == std::future_status::ready);
}

TEST_CASE("a wake-up sender destroyed with wake-ups queued ends") {
  auto loop = detached([] {
    for (int i = 0; i < 20; ++i) {
      WakeUpSender sender(unreachable());
      sender.queue("1", "order", "a");
      sender.queue("2", "order", "b");
    }
  });
  CHECK(loop.wait_for(kLimit) == std::future_status::ready);
}

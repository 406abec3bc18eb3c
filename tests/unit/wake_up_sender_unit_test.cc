// The wake-up sender's thread against its owner's destruction: it ends
// however soon after its start the sender goes, with or without wake-ups
// queued (to a server that is not there: logged, not retried).
#include <catch2/catch.hpp>

#include <atomic>
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

// Runs `work` on a thread of its own; false when it has not ended in time
// (the thread is left behind: the test has failed anyway).
template <typename Work>
bool ends_within(std::chrono::seconds limit, Work work) {
  std::packaged_task<void()> task(std::move(work));
  std::future<void> ended = task.get_future();
  std::thread(std::move(task)).detach();
  return ended.wait_for(limit) == std::future_status::ready;
}

ClientOptions unreachable() {
  ClientOptions options;
  options.dsn = "postgresql://meowmx@127.0.0.1:1/nothing?connect_timeout=2";
  return options;
}

}  // namespace

TEST_CASE("a wake-up sender is destroyed at once, however soon after its start") {
  // Several loops at once, more threads than cores: a sender's thread is
  // then often pre-empted between its wait's check and its sleep.
  std::vector<std::thread> loops;
  std::atomic<int> ended{0};
  for (int loop = 0; loop < 8; ++loop) {
    loops.emplace_back([&ended] {
      if (ends_within(60s, [] {
            for (int i = 0; i < 1500; ++i) WakeUpSender sender(unreachable());
          })) {
        ++ended;
      }
    });
  }
  for (auto& loop : loops) loop.join();
  CHECK(ended == 8);
}

TEST_CASE("a wake-up sender destroyed with wake-ups queued tries them once and ends") {
  CHECK(ends_within(60s, [] {
    for (int i = 0; i < 20; ++i) {
      WakeUpSender sender(unreachable());
      sender.queue("1", "order", "a");
      sender.queue("2", "order", "b");
    }
  }));
}

// The replicator's parts that need no server: the hashes against their
// published test vectors, the routers, a worker queue's batching, folding
// and retries, the completion count, and workers retrying and parking with
// a failing action (parked into a real file).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meowmx/error.h"
#include "meowmx/replicator.h"
#include "replicator/completion.h"
#include "replicator/dispatch.h"
#include "replicator/parking.h"
#include "replicator/pk_queue.h"
#include "replicator/routing.h"
#include "replicator/topic_workers.h"
#include "support/polling.h"

using namespace meowmx;
using namespace meowmx::internal;
using namespace std::chrono_literals;

namespace {

PkEntry change_of(const std::string& pk, const std::string& position = "", const std::string& event = "t_update") {
  PkEntry change;
  change.key = "t\x1f" + pk;
  change.event = event;
  change.pk = pk;
  change.position = position;
  return change;
}

std::vector<std::string> pks_of(const std::vector<PkEntry>& entries) {
  std::vector<std::string> pks;
  for (const auto& entry : entries) pks.push_back(entry.pk);
  return pks;
}

std::size_t token_total(const PkEntry& entry) {
  std::size_t total = 0;
  for (const auto& [token, n] : entry.tokens.counts) total += n;
  return total;
}

bool push_one(TopicWorkers& workers, PkEntry change, Token token) {
  std::vector<TopicWorkers::Change> changes;
  changes.push_back({std::move(change), token});
  return workers.push(changes);
}

std::filesystem::path temp_file(const std::string& stem) {
  return std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(getpid()) + ".jsonl");
}

}  // namespace

TEST_CASE("jump consistent hash gives the published test vectors") {
  // From the paper's reference implementation, as ClickHouse's and others' tests pin them.
  CHECK(jump_consistent_hash(1, 1) == 0);
  CHECK(jump_consistent_hash(42, 57) == 43);
  CHECK(jump_consistent_hash(256, 1024) == 520);
  CHECK(jump_consistent_hash(3735883980ULL, 1) == 0);
  CHECK(jump_consistent_hash(3735883980ULL, 666) == 361);
  CHECK(jump_consistent_hash(16045690984833335023ULL, 255) == 237);
}

TEST_CASE("FNV-1a and MD5 give their published test vectors") {
  CHECK(fnv1a_64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a_64("foobar") == 0x85944171f73967e8ULL);
  auto hex = [](const std::array<unsigned char, 16>& digest) {
    std::string text;
    for (const unsigned char byte : digest) {
      char two[3];
      std::snprintf(two, sizeof two, "%02x", byte);
      text += two;
    }
    return text;
  };
  CHECK(hex(md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(hex(md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("routing is a pure function of the pk text, and growing moves few pks") {
  for (const PkHash hash : {PkHash::kJump, PkHash::kKetama}) {
    const Router eight(hash, 8);
    const Router eight_again(hash, 8);
    const Router nine(hash, 9);
    std::map<int, int> load;
    int moved = 0;
    for (int i = 0; i < 10000; ++i) {
      const std::string pk = std::to_string(i);
      const int worker = eight.worker_of(pk);
      REQUIRE(worker == eight_again.worker_of(pk));
      REQUIRE(worker >= 0);
      REQUIRE(worker < 8);
      ++load[worker];
      const int grown = nine.worker_of(pk);
      if (grown != worker) {
        ++moved;
        // Consistent: a pk that moves goes to the new worker only.
        REQUIRE(grown == 8);
      }
    }
    CHECK(load.size() == 8);
    for (const auto& [worker, count] : load) CHECK(count > 10000 / 8 / 3);
    CHECK(moved < 10000 / 9 * 2);
  }
  // The jump router is jump_consistent_hash(fnv1a_64(pk)): documented, so
  // other programs can compute it.
  const Router jump(PkHash::kJump, 8);
  CHECK(jump.worker_of("42") == jump_consistent_hash(fnv1a_64("42"), 8));
  CHECK(jump.worker_of("[1,\"a\"]") == jump_consistent_hash(fnv1a_64("[1,\"a\"]"), 8));
}

TEST_CASE("a batch holds distinct pks in the order of their latest change") {
  PkQueue queue(100);
  queue.push(change_of("a", "1"), 1);
  queue.push(change_of("b", "2"), 1);
  queue.push(change_of("a", "3"), 2);
  queue.push(change_of("c", "4"), 2);
  CHECK(queue.size() == 4);  // below the limit nothing is folded
  const auto batch = queue.take(10, Clock::now());
  CHECK(pks_of(batch) == std::vector<std::string>{"b", "a", "c"});
  CHECK(batch[1].position == "3");
  CHECK(token_total(batch[1]) == 2);
  CHECK(queue.empty());

  // Up to the batch size, from the front.
  for (int i = 0; i < 5; ++i) queue.push(change_of(std::to_string(i)), 1);
  CHECK(pks_of(queue.take(2, Clock::now())) == std::vector<std::string>{"0", "1"});
  CHECK(pks_of(queue.take(10, Clock::now())) == std::vector<std::string>{"2", "3", "4"});
}

TEST_CASE("past its limit a queue folds duplicates and makes new pks wait") {
  PkQueue queue(3);
  queue.push(change_of("a", "1"), 1);
  queue.push(change_of("a", "2"), 1);
  queue.push(change_of("b", "3"), 1);
  CHECK(queue.size() == 3);
  CHECK_FALSE(queue.has_room_for("t\x1f" "c"));
  CHECK(queue.has_room_for("t\x1f" "a"));
  queue.push(change_of("a", "4", "t_delete"), 2);
  CHECK(queue.size() == 2);  // a's three occurrences are one entry now, at the back
  CHECK(queue.folded() == 2);
  const auto batch = queue.take(10, Clock::now());
  CHECK(pks_of(batch) == std::vector<std::string>{"b", "a"});
  CHECK(batch[1].position == "4");
  CHECK(batch[1].event == "t_delete");
  CHECK(token_total(batch[1]) == 3);
}

TEST_CASE("a failed pk waits for its retry and takes in its later changes") {
  PkQueue queue(10);
  queue.push(change_of("a", "1"), 1);
  auto batch = queue.take(10, Clock::now());
  REQUIRE(batch.size() == 1);
  queue.push(change_of("a", "2"), 2);  // arrives while the batch runs
  queue.push(change_of("b", "3"), 2);
  const auto due = Clock::now() + 1h;
  batch[0].attempts = 1;
  queue.hold(std::move(batch[0]), due);
  queue.push(change_of("a", "5"), 3);  // joins the held entry
  CHECK(queue.size() == 2);
  CHECK(pks_of(queue.take(10, Clock::now())) == std::vector<std::string>{"b"});
  CHECK(queue.take(10, Clock::now()).empty());
  CHECK(queue.next_due() == due);
  const auto retry = queue.take(10, due);
  REQUIRE(retry.size() == 1);
  CHECK(retry[0].position == "5");
  CHECK(retry[0].attempts == 1);
  CHECK(token_total(retry[0]) == 3);
}

TEST_CASE("a token completes once all its pks are released, after its seal") {
  std::vector<Token> done;
  Completion completion([&](Token token) { done.push_back(token); });
  CHECK(completion.seal(7));  // nothing queued: done at once
  completion.add(1);
  completion.add(1);
  TokenCounts one;
  one.add(1);
  completion.release(one);
  CHECK_FALSE(completion.seal(1));
  completion.release(one);
  CHECK(done == std::vector<Token>{1});
  // A token cut off with its transaction is forgotten, never reported.
  completion.add(2);
  completion.abandon(2);
  TokenCounts two;
  two.add(2);
  completion.release(two);
  CHECK(done == std::vector<Token>{1});
  CHECK(event_stem("orders_update") == "orders");
  CHECK(event_stem("sales.orders_write") == "sales.orders");
  CHECK(event_stem("heartbeat") == "heartbeat");
}

TEST_CASE("workers retry failing pks with backoff, park them after the last attempt, deliver the rest") {
  const auto parked_path = temp_file("replicator_unit_parked");
  std::filesystem::remove(parked_path);
  std::mutex mutex;
  std::map<std::string, std::vector<Clock::time_point>> attempts;
  std::set<std::string> delivered;
  TopicOptions options;
  options.workers = 3;
  options.batch = 10;
  options.max_attempts = 3;
  options.initial_backoff = 20ms;
  options.max_backoff = 1s;
  // Every pk ending in 7 fails; "13" fails once, then succeeds.
  TopicWorkers workers("t_*", options, [&](const PkBatch& batch) {
    std::lock_guard lock(mutex);
    std::vector<bool> succeeded;
    for (const auto& pk : batch.pks) {
      attempts[pk].push_back(Clock::now());
      const bool ok = pk.back() != '7' && !(pk == "13" && attempts[pk].size() == 1);
      if (ok) delivered.insert(pk);
      succeeded.push_back(ok);
    }
    return succeeded;
  });
  std::vector<Token> done;
  Completion completion([&](Token token) {
    std::lock_guard lock(mutex);
    done.push_back(token);
  });
  const auto parking = make_file_parking(parked_path, "unit");
  WorkerServices services{.completion = completion, .parking = *parking, .fail = [](std::exception_ptr) {}};
  workers.start(services);
  for (int i = 0; i < 100; ++i) {
    completion.add(1);
    REQUIRE(push_one(workers, change_of(std::to_string(i)), 1));
  }
  completion.seal(1);
  workers.finish();

  CHECK(done == std::vector<Token>{1});  // parked pks count as finished: nothing is owed
  CHECK(delivered.size() == 90);
  std::uint64_t done_count = 0, retried = 0, parked = 0;
  for (const auto& worker : workers.status()) {
    done_count += worker.done;
    retried += worker.retried;
    parked += worker.parked;
    CHECK(worker.queued == 0);
  }
  CHECK(done_count == 90);
  CHECK(parked == 10);
  CHECK(retried == 10 * 2 + 1);
  // Waits double: about 20 ms, then 40 ms.
  const auto& seven = attempts.at("7");
  REQUIRE(seven.size() == 3);
  CHECK(seven[1] - seven[0] >= 20ms);
  CHECK(seven[2] - seven[1] >= 40ms);

  std::ifstream file(parked_path);
  std::set<std::string> parked_pks;
  for (std::string line; std::getline(file, line);) {
    const auto json = nlohmann::json::parse(line);
    CHECK(json["attempts"] == 3);
    CHECK(json["topic"] == "t_*");
    CHECK(json["error"] == "the action reported a failure");
    parked_pks.insert(json["pk"].get<std::string>());
  }
  CHECK(parked_pks == std::set<std::string>{"7", "17", "27", "37", "47", "57", "67", "77", "87", "97"});
  std::filesystem::remove(parked_path);
}

TEST_CASE("a throwing action or one with a wrong answer fails the whole batch") {
  TopicOptions options;
  options.max_attempts = 1;
  std::atomic<int> calls{0};
  TopicWorkers workers("t_update", options, [&](const PkBatch&) -> std::vector<bool> {
    if (++calls == 1) throw std::runtime_error("boom");
    return {true, true, true};  // never the batch's length
  });
  const auto parked_path = temp_file("replicator_unit_throwing");
  std::filesystem::remove(parked_path);
  Completion completion([](Token) {});
  const auto parking = make_file_parking(parked_path, "unit");
  WorkerServices services{.completion = completion, .parking = *parking, .fail = [](std::exception_ptr) {}};
  workers.start(services);
  REQUIRE(push_one(workers, change_of("a"), 0));
  testing::wait_until("the first batch is parked", 10s, [&] { return workers.status()[0].parked == 1; });
  REQUIRE(push_one(workers, change_of("b"), 0));
  workers.finish();
  CHECK(workers.status()[0].parked == 2);
  std::ifstream file(parked_path);
  std::string first, second;
  std::getline(file, first);
  std::getline(file, second);
  CHECK(nlohmann::json::parse(first)["error"] == "boom");
  CHECK(nlohmann::json::parse(second)["error"] == "the action returned 3 results for 1 pks");
  std::filesystem::remove(parked_path);
}

TEST_CASE("bad topic options are refused") {
  auto action = [](const PkBatch& batch) { return std::vector<bool>(batch.pks.size(), true); };
  TopicOptions options;
  options.workers = 0;
  CHECK_THROWS_AS(TopicWorkers("t", options, action), InvalidArgument);
  options = {};
  options.batch = 0;
  CHECK_THROWS_AS(TopicWorkers("t", options, action), InvalidArgument);
  options = {};
  options.queue_limit = 0;
  CHECK_THROWS_AS(TopicWorkers("t", options, action), InvalidArgument);
  options = {};
  options.max_attempts = 0;
  CHECK_THROWS_AS(TopicWorkers("t", options, action), InvalidArgument);
}

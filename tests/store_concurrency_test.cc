// Many clients racing on one aggregate: the version check lets exactly one
// writer win each version, `any` appends never collide, and identical retries
// write once. Each thread has its own Client (a Client is not thread-safe);
// Catch2 assertions run on the main thread only, after the threads joined.
#include <catch2/catch.hpp>

#include <algorithm>
#include <exception>
#include <functional>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/test_cluster.h"

using namespace meowmx;
using nlohmann::json;

namespace {

using testing::connect;

constexpr int kThreads = 16;
constexpr const char* kOrderId = "0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10";

// One connected Client per thread, made before the race starts.
std::vector<Client> connect_clients(const std::string& dsn, int count) {
  std::vector<Client> clients;
  for (int i = 0; i < count; ++i) clients.push_back(connect(dsn));
  return clients;
}

// Runs body(thread_index, client) on one thread per client, all released at
// once; rethrows the first unexpected exception on the calling thread.
void race(std::vector<Client>& clients, const std::function<void(int, Client&)>& body) {
  const int count = static_cast<int>(clients.size());
  std::latch start(count);
  std::vector<std::exception_ptr> errors(clients.size());
  std::vector<std::thread> threads;
  for (int t = 0; t < count; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      try {
        body(t, clients[static_cast<std::size_t>(t)]);
      } catch (...) {
        errors[static_cast<std::size_t>(t)] = std::current_exception();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

NewEvent event_by(int thread, int n) {
  return NewEvent{"Appended", {{"thread", thread}, {"n", n}}, nullptr, std::nullopt};
}

std::int64_t event_count(Client& client) {
  pqxx::nontransaction tx(client.connection());
  return tx.exec1("SELECT count(*) FROM meowmx.events")[0].as<std::int64_t>();
}

// The stored versions must be exactly 0..n-1: no gap, no duplicate.
void check_versions_are_dense(const std::vector<RecordedEvent>& loaded, std::size_t n) {
  REQUIRE(loaded.size() == n);
  for (std::size_t v = 0; v < n; ++v) REQUIRE(loaded[v].version == static_cast<std::int64_t>(v));
}

}  // namespace

TEST_CASE("racing writers that load and save at the current version never lose or duplicate a version") {
  constexpr int kWinsPerThread = 2;
  constexpr int kTotal = kThreads * kWinsPerThread;
  constexpr int kMaxAttempts = 10000;
  auto clients = connect_clients(testing::fresh_database(), kThreads);

  struct Outcome {
    std::int64_t asked;
    std::optional<std::int64_t> got;       // the version recorded, on success
    std::int64_t conflict_expected = -1;   // on VersionConflict
    std::int64_t conflict_actual = -1;
    int n = 0;                              // which of the thread's events it was
  };
  std::vector<std::vector<Outcome>> outcomes(kThreads);

  race(clients, [&](int t, Client& client) {
    auto& mine = outcomes[static_cast<std::size_t>(t)];
    int wins = 0;
    for (int attempt = 0; wins < kWinsPerThread; ++attempt) {
      if (attempt == kMaxAttempts) throw std::runtime_error("thread never got its turn");
      const auto newest = client.load("order", kOrderId, LoadOptions{0, std::nullopt, true, 1});
      const std::int64_t current = newest.empty() ? 0 : newest.front().version + 1;
      Outcome outcome{current, std::nullopt, -1, -1, wins};
      try {
        const auto saved = client.save("order", kOrderId, {event_by(t, wins)}, current);
        outcome.got = saved.at(0).version;
        ++wins;
      } catch (const VersionConflict& conflict) {
        outcome.conflict_expected = conflict.expected();
        outcome.conflict_actual = conflict.actual();
      }
      mine.push_back(outcome);
    }
  });

  const auto loaded = clients[0].load("order", kOrderId);
  check_versions_are_dense(loaded, kTotal);

  int successes = 0, conflicts = 0;
  std::set<std::int64_t> won_versions;
  for (int t = 0; t < kThreads; ++t) {
    for (const Outcome& o : outcomes[static_cast<std::size_t>(t)]) {
      if (o.got) {
        ++successes;
        REQUIRE(o.asked < kTotal);
        CHECK(*o.got == o.asked);  // exactly the version it asked for
        CHECK(won_versions.insert(o.asked).second);
        CHECK(loaded[static_cast<std::size_t>(o.asked)].json() == json{{"thread", t}, {"n", o.n}});
      } else {
        ++conflicts;
        CHECK(o.conflict_expected == o.asked);
        CHECK(o.conflict_actual > o.asked);  // someone else took that version
      }
    }
  }
  CHECK(successes == kTotal);
  CHECK(event_count(clients[0]) == kTotal);
  INFO("conflicts: " << conflicts);
  CHECK(conflicts > 0);  // the threads really raced
}

TEST_CASE("racing to create the same new aggregate at version 0: exactly one winner") {
  auto clients = connect_clients(testing::fresh_database(), kThreads);
  std::vector<std::optional<RecordedEvent>> won(kThreads);
  std::vector<std::optional<std::pair<std::int64_t, std::int64_t>>> lost(kThreads);

  race(clients, [&](int t, Client& client) {
    try {
      const auto saved = client.save("order", kOrderId, {event_by(t, 0), event_by(t, 1)}, 0);
      won[static_cast<std::size_t>(t)] = saved.at(0);
    } catch (const VersionConflict& conflict) {
      lost[static_cast<std::size_t>(t)] = std::make_pair(conflict.expected(), conflict.actual());
    }
  });

  int winners = 0;
  int winner = -1;
  for (int t = 0; t < kThreads; ++t) {
    const auto i = static_cast<std::size_t>(t);
    CHECK(won[i].has_value() != lost[i].has_value());
    if (won[i]) {
      ++winners;
      winner = t;
      CHECK(won[i]->version == 0);
    } else if (lost[i]) {
      CHECK(lost[i]->first == 0);
      CHECK(lost[i]->second == 2);
    }
  }
  REQUIRE(winners == 1);
  const auto loaded = clients[0].load("order", kOrderId);
  check_versions_are_dense(loaded, 2);
  CHECK(loaded[0].json() == json{{"thread", winner}, {"n", 0}});
  CHECK(loaded[1].json() == json{{"thread", winner}, {"n", 1}});
}

TEST_CASE("racing `any` appends all succeed, with dense versions") {
  constexpr int kAppendsPerThread = 3;
  auto clients = connect_clients(testing::fresh_database(), kThreads);
  std::vector<std::vector<std::int64_t>> got(kThreads);

  // The aggregate does not exist yet: the first appends also race to create it.
  race(clients, [&](int t, Client& client) {
    for (int n = 0; n < kAppendsPerThread; ++n) {
      const auto saved =
          client.save("order", kOrderId, {event_by(t, n), event_by(t, n + 100)}, ExpectedVersion::any());
      if (saved.size() != 2 || saved[1].version != saved[0].version + 1) {
        throw std::runtime_error("an any append did not get two consecutive versions");
      }
      got[static_cast<std::size_t>(t)].push_back(saved[0].version);
    }
  });

  const auto loaded = clients[0].load("order", kOrderId);
  check_versions_are_dense(loaded, 2 * kThreads * kAppendsPerThread);
  for (int t = 0; t < kThreads; ++t) {
    const auto& versions = got[static_cast<std::size_t>(t)];
    REQUIRE(versions.size() == kAppendsPerThread);
    CHECK(std::is_sorted(versions.begin(), versions.end()));  // a thread's appends stay in its order
    for (int n = 0; n < kAppendsPerThread; ++n) {
      const auto v = static_cast<std::size_t>(versions[static_cast<std::size_t>(n)]);
      CHECK(loaded[v].json() == json{{"thread", t}, {"n", n}});
      CHECK(loaded[v + 1].json() == json{{"thread", t}, {"n", n + 100}});
    }
  }
}

TEST_CASE("identical retries racing from several threads write the batch once") {
  constexpr int kRetriers = 8;
  auto clients = connect_clients(testing::fresh_database(), kRetriers);

  struct Scenario {
    const char* name;
    std::string aggregate_id;
    std::int64_t already_there;  // events saved before the race
    ExpectedVersion version;
    std::vector<std::string> event_ids;
  };
  const std::vector<Scenario> scenarios = {
      {"creating the aggregate at version 0", "10000000-0000-4000-8000-000000000000", 0, 0,
       {"10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"}},
      {"on an existing aggregate at its version", "20000000-0000-4000-8000-000000000000", 1, 1,
       {"20000000-0000-4000-8000-000000000001", "20000000-0000-4000-8000-000000000002"}},
      {"on an existing aggregate with any", "30000000-0000-4000-8000-000000000000", 1, ExpectedVersion::any(),
       {"30000000-0000-4000-8000-000000000001", "30000000-0000-4000-8000-000000000002"}},
      {"creating the aggregate with any", "40000000-0000-4000-8000-000000000000", 0, ExpectedVersion::any(),
       {"40000000-0000-4000-8000-000000000001", "40000000-0000-4000-8000-000000000002"}},
  };
  for (const Scenario& s : scenarios) {
    CAPTURE(s.name);
    if (s.already_there > 0) clients[0].save("order", s.aggregate_id, {event_by(0, 0)}, 0);
    const std::vector<NewEvent> batch = {NewEvent{"OrderPlaced", {{"n", 1}}, nullptr, s.event_ids[0]},
                                         NewEvent{"ItemAdded", {{"n", 2}}, nullptr, s.event_ids[1]}};

    std::vector<std::vector<RecordedEvent>> results(kRetriers);
    race(clients, [&](int t, Client& client) {
      results[static_cast<std::size_t>(t)] = client.save("order", s.aggregate_id, batch, s.version);
    });

    for (const auto& result : results) {
      REQUIRE(result.size() == 2);
      for (std::size_t i = 0; i < 2; ++i) {
        CHECK(result[i].id == results[0][i].id);
        CHECK(result[i].tx_id == results[0][i].tx_id);
        CHECK(result[i].version == s.already_there + static_cast<std::int64_t>(i));
        CHECK(result[i].event_id == batch[i].event_id);
      }
    }
    check_versions_are_dense(clients[0].load("order", s.aggregate_id), static_cast<std::size_t>(s.already_there + 2));
  }
  CHECK(event_count(clients[0]) == 2 * 4 + 2);
}

// The subscription stress test, MEOWMX_STRESS_RUNS runs in a row (default 10),
// each on a fresh database; in each, for MEOWMX_STRESS_SECONDS (default 8):
//  - writer threads append to random aggregates through Client::save, single
//    events and batches, retrying a batch with the same event ids when the
//    connection breaks (an idempotent retry says whether it was recorded);
//  - holder threads keep transactions open for random short times: some only
//    take a transaction id, some write events and roll back (to shared and to
//    fresh aggregates), some take their id first and write and commit late;
//  - worker processes (subscription_stress_worker) run two subscriptions:
//    "stress" with three processes on one checkpoint, and "stress_group", a
//    consumer group of two members, one of them with two processes. They are
//    killed with SIGKILL (now and then stopped with SIGTERM) at random and
//    restarted, and the PostgreSQL server is restarted once mid-run.
// Then, with the writers stopped and the workers caught up, every committed
// event must be in each subscription's read model exactly once (the worker's
// handler refuses duplicates and versions out of order), none of a rolled
// back transaction, each member's deliveries in (tx_id, id) order, and every
// aggregate's last delivered version the stored one.
//
// The suite runs ten short runs; MEOWMX_STRESS_RUNS=1 MEOWMX_STRESS_SECONDS=120
// for one long one.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"
#include "support/events.h"
#include "support/test_cluster.h"

extern char** environ;

using namespace meowmx;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using testing::connect;

constexpr int kWriters = 3;
constexpr int kHolders = 2;
constexpr int kSharedAggregates = 40;

int positive_from_environment(const char* name, int fallback) {
  const char* text = std::getenv(name);
  const int value = text ? std::atoi(text) : fallback;
  return value > 0 ? value : fallback;
}

int stress_seconds() { return positive_from_environment("MEOWMX_STRESS_SECONDS", 8); }
int stress_runs() { return positive_from_environment("MEOWMX_STRESS_RUNS", 10); }

std::string random_uuid(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  const std::uint64_t parts[2] = {rng(), rng()};
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += hex[(parts[i / 16] >> ((i % 16) * 4)) & 0xf];
  }
  return out;
}

int uniform(std::mt19937_64& rng, int low, int high) {  // inclusive
  return std::uniform_int_distribution<int>(low, high)(rng);
}

std::string pg_text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& v : values) out += (out.size() > 1 ? "," : "") + v;
  return out + "}";
}

// What the writers and holders know they committed or rolled back.
struct Ledger {
  std::mutex mutex;
  std::set<std::string> committed;         // event ids (uuid) known committed
  std::set<std::string> uncertain;         // commit outcome unknown (connection lost during COMMIT)
  std::vector<std::int64_t> rolled_back;   // global ids handed out to rows that were rolled back
  std::vector<std::string> failures;       // what should not have happened
  std::atomic<int> saves{0}, conflicts{0}, retries{0}, holds{0}, doomed{0}, late{0};

  void add_committed(const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex);
    committed.insert(ids.begin(), ids.end());
  }
  void add_uncertain(const std::vector<std::string>& ids) {
    std::lock_guard lock(mutex);
    uncertain.insert(ids.begin(), ids.end());
  }
  void add_rolled_back(const std::vector<std::int64_t>& ids) {
    std::lock_guard lock(mutex);
    rolled_back.insert(rolled_back.end(), ids.begin(), ids.end());
  }
  void fail(const std::string& what) {
    std::lock_guard lock(mutex);
    failures.push_back(what);
  }
};

// Appends random batches until stopped. A batch whose save failed for any
// reason but a conflict or bad input is retried with the same event ids
// until it is known to be recorded.
void writer_loop(const std::string& dsn, int writer, Ledger& ledger, std::stop_token stop) {
  std::mt19937_64 rng(std::random_device{}() + static_cast<unsigned>(writer));
  std::optional<Client> client;
  while (!stop.stop_requested()) {
    const std::string type = uniform(rng, 0, 1) ? "order" : "invoice";
    const std::string id = "agg-" + std::to_string(uniform(rng, 0, kSharedAggregates - 1));
    const int count = uniform(rng, 0, 9) < 6 ? 1 : uniform(rng, 2, 6);
    std::vector<NewEvent> events;
    std::vector<std::string> event_ids;
    for (int i = 0; i < count; ++i) {
      event_ids.push_back(random_uuid(rng));
      events.push_back(NewEvent{"Written", {{"writer", writer}, {"n", i}}, nullptr, event_ids.back()});
    }
    const bool conflicting = uniform(rng, 0, 19) == 0;  // a save that must write nothing
    const auto give_up = Clock::now() + 60s;
    for (bool done = false; !done;) {
      try {
        if (!client) client.emplace(connect(dsn));
        if (conflicting) {
          try {
            client->save(type, id, events, ExpectedVersion(1'000'000'000));
            ledger.fail("a save at version 1e9 succeeded");
          } catch (const VersionConflict&) {
            ++ledger.conflicts;
          }
        } else {
          const auto recorded = client->save(type, id, events, ExpectedVersion::any());
          if (recorded.size() != events.size()) ledger.fail("a save returned the wrong number of events");
          ledger.add_committed(event_ids);
          ++ledger.saves;
        }
        done = true;
      } catch (const VersionConflict& e) {
        ledger.fail(std::string("unexpected version conflict: ") + e.what());
        done = true;
      } catch (const InvalidArgument& e) {
        ledger.fail(std::string("unexpected invalid argument: ") + e.what());
        done = true;
      } catch (const std::exception& e) {
        // The server went away (restart): reconnect and retry the same batch.
        ++ledger.retries;
        client.reset();
        if (Clock::now() > give_up) {
          ledger.fail(std::string("a writer could not save for 60 s: ") + e.what());
          ledger.add_uncertain(event_ids);
          return;
        }
        std::this_thread::sleep_for(50ms);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(uniform(rng, 5, 30)));  // pacing
  }
}

// Writes `count` events to (type, id) in `tx` the way a save does, numbered
// from the aggregate's version, and returns their global ids.
std::vector<std::int64_t> raw_write(pqxx::work& tx, const std::string& type, const std::string& id,
                                    const std::vector<std::string>& event_ids, bool doomed) {
  const int count = static_cast<int>(event_ids.size());
  const auto base = tx.exec_params1(
      "INSERT INTO meowmx.aggregates (aggregate_type, aggregate_id, version) VALUES ($1, $2, $3::bigint)"
      " ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = meowmx.aggregates.version + $3::bigint"
      " RETURNING version - $3::bigint",
      type, id, count)[0].as<std::int64_t>();
  std::vector<std::int64_t> ids;
  for (const auto& row : tx.exec_params(
           "INSERT INTO meowmx.events (aggregate_type, aggregate_id, version, event_type, json, event_id)"
           " SELECT $1, $2, $3::bigint + n - 1, $5, jsonb_build_object('doomed', $6::boolean), u::uuid"
           " FROM unnest($4::text[]) WITH ORDINALITY AS t(u, n) ORDER BY n RETURNING id",
           type, id, base, pg_text_array(event_ids), doomed ? "Doomed" : "Late", doomed)) {
    ids.push_back(row[0].as<std::int64_t>());
  }
  return ids;
}

// Keeps transactions open for random short times, until stopped.
void holder_loop(const std::string& dsn, int holder, Ledger& ledger, std::stop_token stop) {
  std::mt19937_64 rng(std::random_device{}() + 1000u + static_cast<unsigned>(holder));
  std::unique_ptr<pqxx::connection> connection;
  int fresh = 0;
  while (!stop.stop_requested()) {
    const int kind = uniform(rng, 0, 3);
    const auto hold = std::chrono::milliseconds(uniform(rng, 0, 250));
    std::vector<std::string> event_ids;
    for (int i = uniform(rng, 1, 4); i > 0; --i) event_ids.push_back(random_uuid(rng));
    bool committing = false;
    try {
      if (!connection) {
        connection = std::make_unique<pqxx::connection>(dsn);
        connection->set_variable("application_name", "'stress-holder'");
      }
      pqxx::work tx(*connection);
      if (kind == 0) {
        // Only an id: holds the xmin horizon back, writes nothing.
        tx.exec("SELECT pg_current_xact_id()");
        std::this_thread::sleep_for(hold);
        committing = true;
        tx.commit();
        ++ledger.holds;
      } else if (kind == 1 || kind == 2) {
        // Writes, holds, rolls back: to a shared aggregate (blocking its
        // writers meanwhile) or to a fresh one.
        if (uniform(rng, 0, 1)) tx.exec("SELECT pg_current_xact_id()");
        const std::string type = uniform(rng, 0, 1) ? "order" : "invoice";
        const std::string id = kind == 1 ? "agg-" + std::to_string(uniform(rng, 0, kSharedAggregates - 1))
                                         : "doomed-" + std::to_string(holder) + "-" + std::to_string(++fresh);
        ledger.add_rolled_back(raw_write(tx, type, id, event_ids, true));
        std::this_thread::sleep_for(hold);
        tx.abort();
        ++ledger.doomed;
      } else {
        // Takes its id first, holds, then writes and commits: its events sort
        // before everything committed meanwhile. Its own aggregates only, so
        // their versions follow the (tx_id, id) order.
        tx.exec("SELECT pg_current_xact_id()");
        std::this_thread::sleep_for(hold);
        raw_write(tx, "late", "late-" + std::to_string(holder) + "-" + std::to_string(uniform(rng, 0, 4)),
                  event_ids, false);
        committing = true;
        tx.commit();
        ledger.add_committed(event_ids);
        ++ledger.late;
      }
    } catch (const pqxx::in_doubt_error&) {
      if (kind == 3) ledger.add_uncertain(event_ids);
      connection.reset();
    } catch (const std::exception& e) {
      // The server went away (restart); a failed COMMIT of the late writer
      // may or may not have happened.
      if (kind == 3 && committing) ledger.add_uncertain(event_ids);
      connection.reset();
      std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(uniform(rng, 0, 50)));
  }
}

struct WorkerSpec {
  std::string subscription;
  int member = 0;
  int size = 1;
};

// The worker processes: spawned, killed, restarted, and checked for exits
// nobody asked for.
class Workers {
 public:
  Workers(std::string dsn, std::vector<WorkerSpec> specs) : dsn_(std::move(dsn)), specs_(std::move(specs)) {
    pids_.assign(specs_.size(), -1);
    for (std::size_t i = 0; i < specs_.size(); ++i) spawn(i);
  }
  ~Workers() {
    for (auto pid : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
    }
  }

  std::size_t size() const { return specs_.size(); }

  void spawn(std::size_t i) {
    const std::string batch = std::to_string(uniform(rng_, 1, 64));
    std::vector<std::string> args = {MEOWMX_STRESS_WORKER_PATH, dsn_, specs_[i].subscription,
                                     std::to_string(specs_[i].member), std::to_string(specs_[i].size), batch};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The worker starts with SIGTERM and SIGINT blocked, as its main() keeps
    // them for its sigwait thread: a SIGTERM that comes before main() runs
    // stays pending and stops it cleanly, instead of killing it.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    posix_spawnattr_setsigmask(&attributes, &stop_signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int error = posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) throw std::runtime_error("cannot spawn the stress worker");
    pids_[i] = pid;
    ++spawned_;
  }

  // SIGKILL, or now and then a SIGTERM that must end in exit 0.
  void kill_and_restart(std::size_t i) {
    const bool gently = uniform(rng_, 0, 4) == 0;
    ::kill(pids_[i], gently ? SIGTERM : SIGKILL);
    int status = 0;
    waitpid(pids_[i], &status, 0);
    if (gently) {
      ++terminated_;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) record_unexpected(i, status);
    } else {
      ++killed_;
    }
    pids_[i] = -1;
    spawn(i);
  }

  // Restarts any worker that exited on its own, and remembers how it ended.
  void reap() {
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      int status = 0;
      if (pids_[i] > 0 && waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
        record_unexpected(i, status);
        pids_[i] = -1;
        spawn(i);
      }
    }
  }

  // SIGTERM to every worker; each must exit 0 within 30 s.
  void stop_all() {
    for (auto pid : pids_) ::kill(pid, SIGTERM);
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      const auto deadline = Clock::now() + 30s;
      int status = 0;
      pid_t done = 0;
      while ((done = waitpid(pids_[i], &status, WNOHANG)) == 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
      }
      if (done == 0) {
        unexpected_.push_back(specs_[i].subscription + " worker did not stop within 30 s of SIGTERM");
        ::kill(pids_[i], SIGKILL);
        waitpid(pids_[i], &status, 0);
      } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        record_unexpected(i, status);
      }
      pids_[i] = -1;
    }
  }

  // The slot of the worker process `pid`, if it is one of ours.
  std::optional<std::size_t> slot_of(pid_t pid) const {
    const auto it = std::find(pids_.begin(), pids_.end(), pid);
    if (it == pids_.end()) return std::nullopt;
    return static_cast<std::size_t>(it - pids_.begin());
  }

  std::mt19937_64& rng() { return rng_; }
  const std::vector<std::string>& unexpected() const { return unexpected_; }
  int killed() const { return killed_; }
  int terminated() const { return terminated_; }
  int spawned() const { return spawned_; }

 private:
  void record_unexpected(std::size_t i, int status) {
    unexpected_.push_back(specs_[i].subscription + " member " + std::to_string(specs_[i].member) + " worker " +
                          (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                             : "died of signal " + std::to_string(WTERMSIG(status))));
  }

  std::string dsn_;
  std::vector<WorkerSpec> specs_;
  std::vector<pid_t> pids_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::vector<std::string> unexpected_;
  int killed_ = 0, terminated_ = 0, spawned_ = 0;
};

std::int64_t scalar(const std::string& dsn, const std::string& sql) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::int64_t>();
}

}  // namespace

// One run: its own database, writers, holders and workers, then the checks.
void stress_run(int seconds) {
  const std::string dsn = testing::fresh_database(testing::DatabaseOptions{true, AggregateIdType::kText});
  {
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    tx.exec0(
        "CREATE TABLE stress_delivered (subscription text NOT NULL, event_id bigint NOT NULL, tx_id xid8 NOT NULL,"
        " member integer NOT NULL, worker_pid integer NOT NULL, seq bigserial,"
        " delivered_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (subscription, event_id))");
    tx.exec0(
        "CREATE TABLE stress_versions (subscription text NOT NULL, aggregate_type text NOT NULL,"
        " aggregate_id text NOT NULL, version bigint NOT NULL, PRIMARY KEY (subscription, aggregate_type, aggregate_id))");
  }

  Ledger ledger;
  Workers workers(dsn, {{"stress", 0, 1}, {"stress", 0, 1}, {"stress", 0, 1},
                        {"stress_group", 0, 2}, {"stress_group", 0, 2}, {"stress_group", 1, 2}});
  std::exception_ptr thread_error;
  std::mutex thread_error_mutex;
  auto guarded = [&](auto body) {
    return [&, body](std::stop_token stop) {
      try {
        body(stop);
      } catch (...) {
        std::lock_guard lock(thread_error_mutex);
        thread_error = std::current_exception();
      }
    };
  };
  std::vector<std::jthread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back(guarded([&, w](std::stop_token stop) { writer_loop(dsn, w, ledger, stop); }));
  }
  for (int h = 0; h < kHolders; ++h) {
    threads.emplace_back(guarded([&, h](std::stop_token stop) { holder_loop(dsn, h, ledger, stop); }));
  }

  // Chaos: kill and restart workers at random; restart the server once.
  const auto started = Clock::now();
  const auto end = started + std::chrono::seconds(seconds);
  const auto restart_at = started + std::chrono::milliseconds(seconds * 400);
  auto& rng = workers.rng();
  auto next_kill = Clock::now() + std::chrono::milliseconds(uniform(rng, 200, 1200));
  // A worker holds its member until it ends, so random kills may spare the
  // holder: once, the process that delivered last is killed, and another
  // must take over.
  const auto holder_kill_at = started + std::chrono::milliseconds(seconds * 700);
  bool holder_killed = false;
  bool restarted = false;
  const auto port = testing::cluster().port();
  while (Clock::now() < end) {
    workers.reap();
    if (!restarted && Clock::now() >= restart_at) {
      testing::cluster().stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(uniform(rng, 200, 1000)));  // down for a while
      testing::cluster().start();
      REQUIRE(testing::cluster().port() == port);  // the workers and writers keep their DSN
      restarted = true;
    }
    if (!holder_killed && Clock::now() >= holder_kill_at) {
      const auto holder = workers.slot_of(static_cast<pid_t>(scalar(
          dsn, "SELECT coalesce((SELECT worker_pid FROM stress_delivered WHERE subscription = 'stress'"
               " ORDER BY seq DESC LIMIT 1), 0)")));
      if (holder) workers.kill_and_restart(*holder);
      holder_killed = true;
    }
    if (Clock::now() >= next_kill) {
      workers.kill_and_restart(static_cast<std::size_t>(uniform(rng, 0, static_cast<int>(workers.size()) - 1)));
      next_kill = Clock::now() + std::chrono::milliseconds(uniform(rng, 200, 1200));
    }
    std::this_thread::sleep_for(20ms);
  }
  for (auto& thread : threads) thread.request_stop();
  threads.clear();  // joins
  if (thread_error) std::rethrow_exception(thread_error);
  REQUIRE(restarted);

  // Resolve commits whose outcome the connection loss hid.
  std::set<std::string> committed = ledger.committed;
  std::int64_t stored = 0;
  {
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    if (!ledger.uncertain.empty()) {
      std::vector<std::string> uncertain(ledger.uncertain.begin(), ledger.uncertain.end());
      for (const auto& row : tx.exec_params("SELECT event_id::text FROM meowmx.events WHERE event_id = ANY($1::uuid[])",
                                            pg_text_array(uncertain))) {
        committed.insert(row[0].as<std::string>());
      }
    }
    stored = tx.exec1("SELECT count(*) FROM meowmx.events")[0].as<std::int64_t>();
  }

  // Let the workers catch up (restarting any that died on their own).
  const auto catch_up_deadline = Clock::now() + 180s;
  auto delivered = [&](const std::string& subscription) {
    return scalar(dsn, "SELECT count(*) FROM stress_delivered WHERE subscription = '" + subscription + "'");
  };
  while (delivered("stress") < stored || delivered("stress_group") < stored) {
    workers.reap();
    if (Clock::now() > catch_up_deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  const auto caught_up_after = Clock::now() - end;
  workers.stop_all();

  std::ostringstream summary;
  summary << "stress: " << seconds << " s, " << stored << " events stored (" << ledger.saves.load() << " saves, "
          << ledger.late.load() << " late commits), " << ledger.rolled_back.size() << " events rolled back in "
          << ledger.doomed.load() << " transactions, " << ledger.holds.load() << " id-only holds, " << ledger.conflicts.load()
          << " conflicts, " << ledger.retries.load() << " save retries; workers: " << workers.spawned() << " started, "
          << workers.killed() << " SIGKILLed, " << workers.terminated() << " SIGTERMed; caught up "
          << std::chrono::duration_cast<std::chrono::milliseconds>(caught_up_after).count()
          << " ms after the writers stopped";
  std::cout << summary.str() << std::endl;
  INFO(summary.str());

  {
    std::lock_guard lock(ledger.mutex);
    for (const auto& failure : ledger.failures) FAIL_CHECK(failure);
  }
  for (const auto& exit : workers.unexpected()) FAIL_CHECK("unexpected worker exit: " << exit);
  CHECK(workers.killed() > 0);

  pqxx::connection connection(dsn);
  pqxx::nontransaction tx(connection);
  // The store holds exactly the events the writers know they committed.
  std::set<std::string> in_store;
  for (const auto& row : tx.exec("SELECT event_id::text FROM meowmx.events")) in_store.insert(row[0].as<std::string>());
  CHECK(static_cast<std::int64_t>(in_store.size()) == stored);
  CHECK(in_store == committed);
  CHECK(tx.exec1("SELECT count(*) FROM meowmx.events WHERE event_type = 'Doomed' OR json ? 'doomed' AND"
                 " (json->>'doomed')::boolean")[0].as<int>() == 0);

  for (const std::string subscription : {"stress", "stress_group"}) {
    CAPTURE(subscription);
    // Every stored event delivered, each once (primary key), nothing else.
    CHECK(delivered(subscription) == stored);
    CHECK(tx.exec_params1("SELECT count(*) FROM meowmx.events e FULL JOIN"
                          " (SELECT * FROM stress_delivered WHERE subscription = $1) d ON d.event_id = e.id"
                          " WHERE d.event_id IS NULL OR e.id IS NULL",
                          subscription)[0].as<int>() == 0);
    // Nothing of a rolled-back transaction.
    std::vector<std::string> rolled_back;
    for (auto id : ledger.rolled_back) rolled_back.push_back(std::to_string(id));
    CHECK(tx.exec_params1("SELECT count(*) FROM stress_delivered WHERE subscription = $1 AND event_id = ANY($2::bigint[])",
                          subscription, pg_text_array(rolled_back))[0].as<int>() == 0);
    // Each member delivered in (tx_id, id) order.
    CHECK(tx.exec_params1("SELECT count(*) FROM (SELECT tx_id, event_id, lag(tx_id) OVER w AS prev_tx,"
                          " lag(event_id) OVER w AS prev_id FROM stress_delivered WHERE subscription = $1"
                          " WINDOW w AS (PARTITION BY member ORDER BY seq)) x WHERE (prev_tx, prev_id) >= (tx_id, event_id)",
                          subscription)[0].as<int>() == 0);
    // Each aggregate's last delivered version is the stored one (the handler
    // checked every step was previous + 1).
    CHECK(tx.exec_params1("SELECT count(*) FROM meowmx.aggregates a FULL JOIN"
                          " (SELECT * FROM stress_versions WHERE subscription = $1) v"
                          " ON v.aggregate_type = a.aggregate_type AND v.aggregate_id = a.aggregate_id::text"
                          " WHERE v.version IS DISTINCT FROM a.version - 1",
                          subscription)[0].as<int>() == 0);
    // The checkpoints say the same.
    CHECK(tx.exec_params1("SELECT coalesce(sum(events_behind), -1) FROM meowmx.subscription_status WHERE name = $1",
                          subscription)[0].as<int>() == 0);
  }
  // Consumer group members: each aggregate to the member its id hashes to.
  CHECK(tx.exec1("SELECT count(*) FROM stress_delivered d JOIN meowmx.events e ON e.id = d.event_id"
                 " WHERE d.subscription = 'stress_group' AND d.member <> meowmx.group_member_of(e.aggregate_id::text, 2)")[0]
            .as<int>() == 0);
  // Several processes of one subscription did deliver.
  CHECK(tx.exec1("SELECT count(DISTINCT worker_pid) FROM stress_delivered WHERE subscription = 'stress'")[0].as<int>() > 1);
}

TEST_CASE("stress: killed workers, a server restart, rollbacks and long transactions; every committed event once, in order") {
  const int runs = stress_runs();
  const int seconds = stress_seconds();
  for (int run = 1; run <= runs; ++run) {
    INFO("run " << run << " of " << runs << " in a row");
    stress_run(seconds);
  }
}

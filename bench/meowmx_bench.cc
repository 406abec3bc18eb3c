// meowmx_bench: meowmx's append and load throughput next to the same rows
// written and read with plain libpq on a table of the same shape, so the
// ratio shows what meowmx's version check and client layers cost; what the
// subscriptions' NOTIFY costs writers; and the subscription cases of
// subscription_cases.cc (catch-up throughput, wake-up latency).
//
// Prints one line per case on stdout:
//   BENCH <case> ours=<x> raw=<y> ratio=<ours/raw>
// and progress on stderr. See README.md.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bench_support.h"
#include "meowmx/meowmx.h"
#include "fanout_cases.h"
#include "subscription_cases.h"
#include "support/servers/postgres_server.h"

namespace meowmx_bench {
namespace {

// ---------------------------------------------------------------------------
// Workers: one per thread, each with its own connection.

class Worker {
 public:
  virtual ~Worker() = default;
  // One call or statement; returns how many events it wrote or read.
  virtual std::int64_t run_once() = 0;
};

using WorkerFactory = std::function<std::unique_ptr<Worker>()>;

// Appends batches to an aggregate of its own, each save checked against the
// version the previous one left. That is the common path of a command
// handler: load (here: remember) the aggregate, append at its version. The
// aggregate is created by the first save (meowmx's insert path) and every
// later save takes the lock-and-advance path, so a thread never waits for
// another one: the cost measured is the check itself, not contention.
class MeowmxAppender : public Worker {
 public:
  MeowmxAppender(const Target& target, int batch_size, Notify notify)
      : client_(target.client_options(notify)),
        aggregate_id_(IdSource(target.id_type).next()),
        batch_(batch_size, bench_event()) {}

  std::int64_t run_once() override {
    const auto recorded = client_.save(kAggregateType, aggregate_id_, batch_, version_);
    version_ += static_cast<std::int64_t>(recorded.size());
    return static_cast<std::int64_t>(recorded.size());
  }

 private:
  meowmx::Client client_;
  std::string aggregate_id_;
  std::vector<meowmx::NewEvent> batch_;
  std::int64_t version_ = 0;
};

// $1 aggregate type, $2 aggregate id, then per row: version, event type, json.
std::string raw_insert_sql(int rows) {
  std::string sql =
      "INSERT INTO raw_events (aggregate_type, aggregate_id, version, event_type, json, metadata) "
      "VALUES ";
  for (int row = 0; row < rows; ++row) {
    const int first = 3 + 3 * row;
    if (row > 0) sql += ", ";
    sql += "($1, $2, $" + std::to_string(first) + ", $" + std::to_string(first + 1) + ", $" +
           std::to_string(first + 2) + ", NULL)";
  }
  return sql;
}

// The same rows as MeowmxAppender (same aggregate pattern and versions), one
// prepared multi-row INSERT per autocommit transaction, nothing returned.
class RawAppender : public Worker {
 public:
  RawAppender(const Target& target, int batch_size)
      : connection_(connect_raw(target.dsn)), batch_size_(batch_size) {
    prepare(connection_.get(), "raw_append", raw_insert_sql(batch_size));
    values_ = {kAggregateType, IdSource(target.id_type).next()};
    const std::string json = payload().dump();
    for (int row = 0; row < batch_size; ++row) {
      values_.insert(values_.end(), {"", kEventType, json});
    }
  }

  std::int64_t run_once() override {
    for (int row = 0; row < batch_size_; ++row) {
      values_[2 + 3 * row] = std::to_string(version_ + row);
    }
    std::vector<const char*> params;
    params.reserve(values_.size());
    for (const auto& value : values_) params.push_back(value.c_str());
    check(connection_.get(),
          PQexecPrepared(connection_.get(), "raw_append", static_cast<int>(params.size()),
                         params.data(), nullptr, nullptr, 0),
          PGRES_COMMAND_OK);
    version_ += batch_size_;
    return batch_size_;
  }

 private:
  PgConnection connection_;
  int batch_size_;
  std::vector<std::string> values_;  // the statement's parameters, as text
  std::int64_t version_ = 0;
};

class MeowmxLoader : public Worker {
 public:
  MeowmxLoader(const Target& target, std::string aggregate_id)
      : client_(target.client_options(Notify::kOff)), aggregate_id_(std::move(aggregate_id)) {}

  std::int64_t run_once() override {
    return static_cast<std::int64_t>(client_.load(kAggregateType, aggregate_id_).size());
  }

 private:
  meowmx::Client client_;
  std::string aggregate_id_;
};

// Every column Client::load returns, as libpq's text rows, in version order,
// every byte of them read (as the catch-up's raw side does): meowmx's side
// decodes each row into a RecordedEvent, so the raw one looks at its data too.
class RawLoader : public Worker {
 public:
  RawLoader(const Target& target, std::string aggregate_id)
      : connection_(connect_raw(target.dsn)), aggregate_id_(std::move(aggregate_id)) {
    prepare(connection_.get(), "raw_load",
            "SELECT id, tx_id, aggregate_type, aggregate_id, version, event_type, json, metadata, "
            "event_id, created_at FROM raw_events WHERE aggregate_type = $1 AND aggregate_id = $2 "
            "ORDER BY version");
  }

  std::int64_t run_once() override {
    const char* params[] = {kAggregateType, aggregate_id_.c_str()};
    const PgResult result =
        check(connection_.get(),
              PQexecPrepared(connection_.get(), "raw_load", 2, params, nullptr, nullptr, 0),
              PGRES_TUPLES_OK);
    const int rows = PQntuples(result.get());
    // Also keeps the compiler from dropping the reading.
    if (rows > 0 && sum_of_bytes(result.get()) == 0) throw std::runtime_error("raw load read empty rows");
    return rows;
  }

 private:
  PgConnection connection_;
  std::string aggregate_id_;
};

// ---------------------------------------------------------------------------
// Measuring.

// Runs `threads` workers for `duration`. Connecting, and each worker's first
// call (lazy PREPARE, the id type lookup, the first plan), stay off the clock.
Tally run_slot(int threads, Clock::duration duration, const WorkerFactory& make_worker) {
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) workers.push_back(make_worker());

  std::latch start(threads + 1);
  std::atomic<bool> stop{false};
  std::vector<std::int64_t> events(threads, 0);
  std::vector<std::exception_ptr> errors(threads);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      try {
        workers[i]->run_once();
      } catch (...) {
        errors[i] = std::current_exception();
      }
      start.arrive_and_wait();
      if (errors[i]) return;
      try {
        std::int64_t done = 0;
        while (!stop.load(std::memory_order_relaxed)) done += workers[i]->run_once();
        events[i] = done;
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  start.arrive_and_wait();
  const Stopwatch stopwatch;
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& thread : pool) thread.join();
  // The calls in flight at the deadline count, and so does their time.
  std::int64_t total = 0;
  for (const auto count : events) total += count;
  const Tally tally = stopwatch.tally(total);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return tally;
}

struct Case {
  std::string name;
  int threads = 1;
  bool fresh_tables = false;  // truncate both sides' tables before every slot
  WorkerFactory ours;
  WorkerFactory raw;
};

// Each slot (see kSlotOrder) lasts half of --seconds.
void run_case(const Case& c, const BenchOptions& options, BenchTables& tables) {
  const auto slot = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.seconds / 2));
  Tally ours;
  Tally raw;
  int slot_number = 0;
  for (const Side side : kSlotOrder) {
    if (c.fresh_tables) tables.truncate();
    const Tally tally = run_slot(c.threads, slot, side == Side::kOurs ? c.ours : c.raw);
    (side == Side::kOurs ? ours : raw).add(tally);
    report_slot(c.name, ++slot_number, side, tally);
  }
  print_bench_line(c.name, ours, raw);
}

// The pure event store next to raw INSERTs: meowmx with NOTIFY off, so the
// ratio shows the version check and the client layers alone.
Case append_case(const Target& target, int batch_size, int threads) {
  Case c;
  c.name = "append_" + std::to_string(batch_size) + "_c" + std::to_string(threads);
  c.threads = threads;
  c.fresh_tables = true;
  c.ours = [target, batch_size] {
    return std::make_unique<MeowmxAppender>(target, batch_size, Notify::kOff);
  };
  c.raw = [target, batch_size] { return std::make_unique<RawAppender>(target, batch_size); };
  return c;
}

// meowmx next to itself: single-event saves with the subscriptions' NOTIFY
// (ours) and without (the raw column), so the ratio is what waking
// subscribers costs writers. No one listens: the cost is the commit-time
// lock NOTIFY takes, which does not depend on listeners.
Case append_notify_case(const Target& target, int threads) {
  Case c;
  c.name = "append_notify_c" + std::to_string(threads);
  c.threads = threads;
  c.fresh_tables = true;
  c.ours = [target] { return std::make_unique<MeowmxAppender>(target, 1, Notify::kOn); };
  c.raw = [target] { return std::make_unique<MeowmxAppender>(target, 1, Notify::kOff); };
  return c;
}

constexpr int kLoadedEvents = 100;

// One aggregate of kLoadedEvents events, the same rows in both tables.
std::string seed_loaded_aggregate(const Target& target, PGconn* admin, BenchTables& tables) {
  tables.truncate();
  const std::string id = IdSource(target.id_type).next();
  meowmx::Client client(target.client_options(Notify::kOff));
  client.save(kAggregateType, id, std::vector<meowmx::NewEvent>(kLoadedEvents, bench_event()), 0);
  exec(admin,
       "INSERT INTO raw_events (aggregate_type, aggregate_id, version, event_type, json, metadata) "
       "SELECT aggregate_type, aggregate_id, version, event_type, json, metadata "
       "FROM meowmx.events ORDER BY id");
  tables.vacuum_analyze();
  return id;
}

std::string load_case_name(int threads) {
  return "load_" + std::to_string(kLoadedEvents) +
         (threads > 1 ? "_c" + std::to_string(threads) : "");
}

Case load_case(const Target& target, const std::string& aggregate_id, int threads) {
  Case c;
  c.name = load_case_name(threads);
  c.threads = threads;
  c.ours = [target, aggregate_id] { return std::make_unique<MeowmxLoader>(target, aggregate_id); };
  c.raw = [target, aggregate_id] { return std::make_unique<RawLoader>(target, aggregate_id); };
  return c;
}

void run(const BenchOptions& options) {
  // Declared first so the server outlives every connection to it.
  std::unique_ptr<meowmx::testing::PostgresServer> server;
  Target target;
  target.dsn = options.dsn;
  if (target.dsn.empty()) {
    server = std::make_unique<meowmx::testing::PostgresServer>(
        meowmx::testing::PostgresServerOptions{.durability = meowmx::testing::Durability::kStock,
                                               // fanout_200: a connection per live subscription
                                               .settings = {"max_connections = 300"}});
    target.dsn = server->url();
  }
  meowmx::Client setup_client(target.client_options(Notify::kOff));
  setup_client.setup();
  target.id_type = setup_client.aggregate_id_type();

  const PgConnection admin = connect_raw(target.dsn);
  exec(admin.get(), "SET client_min_messages = warning");  // no NOTICE from DROP IF EXISTS
  BenchTables tables(admin.get());

  for (const int batch_size : {1, 100}) {
    for (const int threads : {1, 4, 16}) {
      const Case c = append_case(target, batch_size, threads);
      if (options.selected(c.name)) run_case(c, options, tables);
    }
  }
  for (const int threads : {1, 4, 16}) {
    const Case c = append_notify_case(target, threads);
    if (options.selected(c.name)) run_case(c, options, tables);
  }
  // The read cases come last because seeding truncates what the appends wrote.
  std::string loaded_id;
  for (const int threads : {1, 4}) {
    if (!options.selected(load_case_name(threads))) continue;
    if (loaded_id.empty()) loaded_id = seed_loaded_aggregate(target, admin.get(), tables);
    run_case(load_case(target, loaded_id, threads), options, tables);
  }
  run_subscription_cases(options, target, tables);
  run_fanout_cases(options, target, tables);
}

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: meowmx_bench [--dsn DSN] [--seconds N] [--filter TEXT]\n"
               "  --dsn DSN      run against this database instead of a throwaway server;\n"
               "                 its store must hold no events nor subscriptions (the\n"
               "                 benchmark truncates it and creates, then drops, a table\n"
               "                 raw_events)\n"
               "  --seconds N    measured seconds per side of each timed case (default 3)\n"
               "  --filter TEXT  run only the cases whose name contains TEXT\n");
}

}  // namespace
}  // namespace meowmx_bench

int main(int argc, char** argv) {
  // Library logs go to stderr so that stdout carries only BENCH lines.
  spdlog::set_default_logger(spdlog::stderr_color_mt("meowmx_bench"));

  meowmx_bench::BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--dsn" && has_value) {
      options.dsn = argv[++i];
    } else if (arg == "--seconds" && has_value) {
      options.seconds = std::atof(argv[++i]);
      if (options.seconds <= 0) {
        std::fprintf(stderr, "meowmx_bench: --seconds must be a positive number\n");
        return 2;
      }
    } else if (arg == "--filter" && has_value) {
      options.filter = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      meowmx_bench::usage(stdout);
      return 0;
    } else {
      meowmx_bench::usage(stderr);
      return 2;
    }
  }

  try {
    meowmx_bench::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meowmx_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

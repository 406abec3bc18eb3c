#include "subscription_cases.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "meowmx/meowmx.h"

namespace meowmx_bench {
namespace {

using std::chrono::milliseconds;

constexpr const char* kSubscription = "meowmx_bench";

// Readers write no events, so their Client's notify setting changes nothing.
constexpr Notify kReader = Notify::kOff;

// ---------------------------------------------------------------------------
// Catch-up: a new subscription working through a long log, as after a
// deployment or a reset.

constexpr std::int64_t kLogEvents = 100'000;
constexpr std::int64_t kSeedEventsPerSave = 1000;
constexpr int kCatchUpsPerSlot = 4;

std::string catch_up_case_name(std::int64_t batch_size) {
  return "catchup_b" + std::to_string(batch_size);
}

// kLogEvents events, kSeedEventsPerSave per aggregate, then vacuumed so both
// sides read settled pages.
void seed_log(const Target& target, BenchTables& tables) {
  tables.truncate();
  meowmx::Client client(target.client_options(Notify::kOff));
  IdSource ids(target.id_type);
  const std::vector<meowmx::NewEvent> events(kSeedEventsPerSave, bench_event());
  for (std::int64_t saved = 0; saved < kLogEvents; saved += kSeedEventsPerSave) {
    client.save(kAggregateType, ids.next(), events, 0);
  }
  tables.vacuum_analyze();
}

// A subscription from the beginning, delivering to a handler that counts,
// until caught up. Connecting stays off the clock; creating the
// subscription (one short transaction) is on it.
Tally catch_up_ours(const Target& target, std::int64_t batch_size) {
  meowmx::Client client(target.client_options(kReader));
  meowmx::SubscriptionOptions options;
  options.batch_size = batch_size;
  options.stop_when_caught_up = true;
  std::int64_t delivered = 0;
  const Stopwatch stopwatch;
  client.subscribe(kSubscription, options,
                   [&delivered](const std::vector<meowmx::RecordedEvent>& batch, pqxx::work&) {
                     delivered += std::ssize(batch);
                   });
  const Tally tally = stopwatch.tally(delivered);
  client.delete_subscription(kSubscription);  // the next slot starts from the beginning again
  return tally;
}

// The page query of the subscription (lib/src/store/log_query.cc) with the select
// list every event query uses (kEventColumns in lib/src/store/event_row.h).
constexpr const char* kRawPageSql =
    "SELECT id, tx_id, aggregate_type, aggregate_id, version, event_type, json, metadata, event_id, created_at "
    "FROM meowmx.events WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) "
    "AND (tx_id, id) > ($1::xid8, $2::bigint) ORDER BY events.tx_id, events.id LIMIT $3::bigint";

// The same pages by hand: one prepared autocommit statement per page, paging
// on the last row's (tx_id, id); no transaction, no checkpoint, no parsing.
Tally catch_up_raw(const Target& target, std::int64_t batch_size) {
  const PgConnection connection = connect_raw(target.dsn);
  prepare(connection.get(), "raw_page", kRawPageSql);
  const std::string limit = std::to_string(batch_size);
  std::string after_tx_id = "0";
  std::string after_id = "0";
  std::int64_t read = 0;
  std::uint64_t bytes_sum = 0;
  const Stopwatch stopwatch;
  for (;;) {
    const char* params[] = {after_tx_id.c_str(), after_id.c_str(), limit.c_str()};
    const PgResult page =
        check(connection.get(),
              PQexecPrepared(connection.get(), "raw_page", 3, params, nullptr, nullptr, 0),
              PGRES_TUPLES_OK);
    const int rows = PQntuples(page.get());
    if (rows == 0) break;
    bytes_sum += sum_of_bytes(page.get());
    after_id = PQgetvalue(page.get(), rows - 1, 0);
    after_tx_id = PQgetvalue(page.get(), rows - 1, 1);
    read += rows;
  }
  const Tally tally = stopwatch.tally(read);
  // Also keeps the compiler from dropping the reading.
  if (read > 0 && bytes_sum == 0) throw std::runtime_error("raw catch-up read empty rows");
  return tally;
}

void run_catch_up_case(const Target& target, std::int64_t batch_size) {
  const std::string name = catch_up_case_name(batch_size);
  Tally ours;
  Tally raw;
  int slot = 0;
  for (const Side side : kSlotOrder) {
    Tally tally;
    // A catch-up takes a fraction of a second: several per slot, so a
    // slot's figure is not one moment of the machine's.
    for (int run = 0; run < kCatchUpsPerSlot; ++run) {
      const Tally one = side == Side::kOurs ? catch_up_ours(target, batch_size) : catch_up_raw(target, batch_size);
      if (one.events != kLogEvents) {
        throw std::runtime_error(name + " " + side_name(side) + ": read " + std::to_string(one.events) + " of " +
                                 std::to_string(kLogEvents) + " events");
      }
      tally.add(one);
    }
    (side == Side::kOurs ? ours : raw).add(tally);
    report_slot(name, ++slot, side, tally);
  }
  print_bench_line(name, ours, raw);
}

// ---------------------------------------------------------------------------
// Consumer groups: the catch-up split over kGroupSize members, each on a
// thread and connection of its own, beside one worker delivering it all.

constexpr int kGroupSize = 4;
constexpr const char* kGroupCaseName = "group_4";

std::int64_t exec_int(PGconn* connection, const std::string& sql) {
  const PgResult result = check(connection, PQexec(connection, sql.c_str()), PGRES_TUPLES_OK);
  return std::atoll(PQgetvalue(result.get(), 0, 0));
}

// The sessions that were there before the case (a text[] of pids).
std::string sessions_before(PGconn* admin) {
  const PgResult result = check(
      admin, PQexec(admin, "SELECT array_agg(pid)::text FROM pg_stat_activity WHERE backend_type = 'client backend'"),
      PGRES_TUPLES_OK);
  return PQgetvalue(result.get(), 0, 0);
}

// Index tuples read on meowmx.events so far, once the statistics of the
// case's sessions are in: a worker's backend sends its counts when it exits.
std::int64_t index_tuples_read(PGconn* admin, const std::string& sessions_before) {
  const std::string sql =
      "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes "
      "WHERE schemaname = 'meowmx' AND relname = 'events'";
  const auto others = [&] {
    return exec_int(admin, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                           " AND pid <> ALL('" + sessions_before + "'::integer[])");
  };
  while (others() > 0) std::this_thread::sleep_for(milliseconds(10));
  check(admin, PQexec(admin, "SELECT pg_stat_clear_snapshot()"), PGRES_TUPLES_OK);
  return exec_int(admin, sql);
}

meowmx::SubscriptionOptions member_options(int size, int member) {
  meowmx::SubscriptionOptions options;
  options.batch_size = 100;
  options.stop_when_caught_up = true;
  options.group_size = size;
  options.group_member = member;
  return options;
}

// Runs `size` members of kSubscription at once until each caught up.
Tally catch_up_group(const Target& target, int size) {
  std::vector<std::unique_ptr<meowmx::Client>> clients;
  for (int member = 0; member < size; ++member) {
    clients.push_back(std::make_unique<meowmx::Client>(target.client_options(kReader)));
  }
  std::vector<std::int64_t> delivered(size, 0);
  std::vector<std::exception_ptr> errors(size);
  const Stopwatch stopwatch;
  {
    std::vector<std::jthread> members;
    for (int member = 0; member < size; ++member) {
      members.emplace_back([&, member] {
        try {
          clients[member]->subscribe(kSubscription, member_options(size, member),
                                     [&delivered, member](const std::vector<meowmx::RecordedEvent>& batch,
                                                          pqxx::work&) { delivered[member] += std::ssize(batch); });
        } catch (...) {
          errors[member] = std::current_exception();
        }
      });
    }
  }
  std::int64_t total = 0;
  for (const auto count : delivered) total += count;
  const Tally tally = stopwatch.tally(total);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  clients.front()->delete_subscription(kSubscription);
  return tally;
}

// Ours: the group; raw: one worker. Before the slots, each member runs once
// on an empty backlog, which builds its index, so no slot pays for that.
void run_group_case(const Target& target, PGconn* admin) {
  for (int member = 0; member < kGroupSize; ++member) {
    meowmx::Client client(target.client_options(kReader));
    auto options = member_options(kGroupSize, member);
    options.start = meowmx::StartFrom::kNow;
    client.subscribe(kSubscription, options, [](const std::vector<meowmx::RecordedEvent>&, pqxx::work&) {});
    if (member == kGroupSize - 1) client.delete_subscription(kSubscription);
  }
  exec(admin, "VACUUM ANALYZE meowmx.events");
  const std::string before = sessions_before(admin);
  Tally ours;
  Tally raw;
  std::int64_t tuples[2] = {0, 0};
  int slot = 0;
  for (const Side side : kSlotOrder) {
    const std::int64_t tuples_before = index_tuples_read(admin, before);
    const Tally tally = catch_up_group(target, side == Side::kOurs ? kGroupSize : 1);
    tuples[side == Side::kOurs] += index_tuples_read(admin, before) - tuples_before;
    if (tally.events != kLogEvents) {
      throw std::runtime_error(std::string(kGroupCaseName) + " " + side_name(side) + ": delivered " +
                               std::to_string(tally.events) + " of " + std::to_string(kLogEvents) + " events");
    }
    (side == Side::kOurs ? ours : raw).add(tally);
    report_slot(kGroupCaseName, ++slot, side, tally);
  }
  print_bench_line(kGroupCaseName, ours, raw);
  // Index tuples read per delivered event: the group's members beside the one worker.
  print_bench_line(std::string(kGroupCaseName) + "_index_tuples", double(tuples[1]) / double(ours.events),
                   double(tuples[0]) / double(raw.events), 3);
}

// ---------------------------------------------------------------------------
// Wake-up latency: an idle subscriber, a writer saving one event at a time.

constexpr int kSamplesPerSlot = 150;  // 300 per side over its two slots
// Between an arrival and the next send: the receiver goes back to waiting.
constexpr milliseconds kSendGap{5};
// Far beyond the subscriber's max_sleep: only a lost event takes this long.
constexpr std::chrono::seconds kArrivalTimeout{30};
// How often the raw listener checks for a stop request between notifications.
constexpr int kListenerStopCheckMs = 100;
constexpr const char* kRawChannel = "meowmx_bench";

// When each message arrived, by sequence number: recorded by the receiving
// thread, awaited by the sending one. Both sides read the same steady_clock.
class Arrivals {
 public:
  explicit Arrivals(int count) : times_(count) {}

  void record(int seq) {
    const Clock::time_point now = Clock::now();
    std::lock_guard lock(mutex_);
    times_.at(seq) = now;
    changed_.notify_all();
  }

  // The receiver failed: nothing more will arrive.
  void fail(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    changed_.notify_all();
  }

  // Rethrows the receiver's failure; throws when `seq` takes kArrivalTimeout.
  Clock::time_point wait_for(int seq) {
    std::unique_lock lock(mutex_);
    const bool done = changed_.wait_for(lock, kArrivalTimeout, [&] {
      return error_ || times_.at(seq).has_value();
    });
    if (error_) std::rethrow_exception(error_);
    if (!done) {
      throw std::runtime_error("message " + std::to_string(seq) + " did not arrive within " +
                               std::to_string(kArrivalTimeout.count()) + " s");
    }
    return *times_[seq];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<Clock::time_point>> times_;
  std::exception_ptr error_;
};

// Runs `receive` on a thread of its own until destruction (which requests a
// stop and joins); a failure goes to `arrivals`, so the sender stops waiting.
class ReceiverThread {
 public:
  ReceiverThread(Arrivals& arrivals, std::function<void(std::stop_token)> receive)
      : thread_([&arrivals, receive = std::move(receive)](std::stop_token stop) {
          try {
            receive(stop);
          } catch (...) {
            arrivals.fail(std::current_exception());
          }
        }) {}

 private:
  std::jthread thread_;
};

// Sends a warm-up message (it also waits until the receiver listens, and
// makes both sides prepare their statements), then kSamplesPerSlot measured
// ones, each once the previous one arrived and kSendGap passed. Returns the
// latencies in ms from send() returning to the arrival.
std::vector<double> probe(const std::function<void(int)>& send, Arrivals& arrivals) {
  std::vector<double> latencies;
  for (int seq = 0; seq <= kSamplesPerSlot; ++seq) {
    send(seq);
    const Clock::time_point sent = Clock::now();
    const Clock::time_point arrived = arrivals.wait_for(seq);
    if (seq > 0) latencies.push_back(std::chrono::duration<double, std::milli>(arrived - sent).count());
    std::this_thread::sleep_for(kSendGap);
  }
  return latencies;
}

// A subscription worker that would otherwise sleep 10 s, woken by the
// writer's NOTIFY; the handler records each event on arrival. Event version
// n is message n: the writer saves one event at a time to one aggregate.
std::vector<double> latency_ours(const Target& target) {
  Arrivals arrivals(kSamplesPerSlot + 1);
  meowmx::Client subscriber(target.client_options(kReader));
  meowmx::SubscriptionOptions options;
  options.max_sleep = std::chrono::seconds(10);
  const ReceiverThread receiver(arrivals, [&](std::stop_token stop) {
    subscriber.subscribe(
        kSubscription, options,
        [&arrivals](const std::vector<meowmx::RecordedEvent>& batch, pqxx::work&) {
          for (const auto& event : batch) arrivals.record(static_cast<int>(event.version));
        },
        stop);
  });
  meowmx::Client writer(target.client_options(Notify::kOn));
  const std::string aggregate_id = IdSource(target.id_type).next();
  const std::vector<meowmx::NewEvent> event{bench_event()};
  return probe([&](int seq) { writer.save(kAggregateType, aggregate_id, event, seq); }, arrivals);
}

struct PGnotifyFreer {
  void operator()(PGnotify* notification) const { PQfreemem(notification); }
};
using PgNotification = std::unique_ptr<PGnotify, PGnotifyFreer>;

// Waits on the socket as the subscription worker does; at each notification
// reads the page after the last event read (kRawPageSql, as the worker does)
// and records each event by its version.
void receive_events(PGconn* listener, Arrivals& arrivals, const std::stop_token& stop) {
  std::string after_tx_id = "0";
  std::string after_id = "0";
  const std::string limit = "100";
  while (!stop.stop_requested()) {
    pollfd socket{PQsocket(listener), POLLIN, 0};
    if (poll(&socket, 1, kListenerStopCheckMs) < 0) throw std::runtime_error("poll failed");
    if (!PQconsumeInput(listener)) {
      throw std::runtime_error(std::string("libpq: ") + PQerrorMessage(listener));
    }
    bool notified = false;
    while (const PgNotification notification{PQnotifies(listener)}) notified = true;
    if (!notified) continue;
    const char* params[] = {after_tx_id.c_str(), after_id.c_str(), limit.c_str()};
    const PgResult page = check(listener, PQexecPrepared(listener, "raw_page", 3, params, nullptr, nullptr, 0),
                                PGRES_TUPLES_OK);
    const int rows = PQntuples(page.get());
    for (int row = 0; row < rows; ++row) arrivals.record(std::atoi(PQgetvalue(page.get(), row, 4)));
    if (rows > 0) {
      after_id = PQgetvalue(page.get(), rows - 1, 0);
      after_tx_id = PQgetvalue(page.get(), rows - 1, 1);
    }
  }
}

// PostgreSQL's own floor for the same work: the writer inserts the event and
// then sends a bare NOTIFY in an autocommit transaction of its own; a
// connection that LISTENs reads the event when notified.
std::vector<double> latency_raw(const Target& target) {
  Arrivals arrivals(kSamplesPerSlot + 1);
  const PgConnection listener = connect_raw(target.dsn);
  exec(listener.get(), std::string("LISTEN ") + kRawChannel);
  prepare(listener.get(), "raw_page", kRawPageSql);
  const ReceiverThread receiver(arrivals, [&](std::stop_token stop) {
    receive_events(listener.get(), arrivals, stop);
  });
  const PgConnection notifier = connect_raw(target.dsn);
  prepare(notifier.get(), "raw_insert",
          "INSERT INTO meowmx.events (aggregate_type, aggregate_id, version, event_type, json)"
          " VALUES ($1, $2::meowmx.aggregate_id, $3::bigint, $4, $5::jsonb)");
  const std::string aggregate_id = IdSource(target.id_type).next();
  const meowmx::NewEvent event = bench_event();
  const std::string json = event.json.dump();
  return probe(
      [&](int seq) {
        const std::string version = std::to_string(seq);
        const char* params[] = {kAggregateType, aggregate_id.c_str(), version.c_str(), event.event_type.c_str(),
                                json.c_str()};
        check(notifier.get(), PQexecPrepared(notifier.get(), "raw_insert", 5, params, nullptr, nullptr, 0),
              PGRES_COMMAND_OK);
        exec(notifier.get(), std::string("NOTIFY ") + kRawChannel);
      },
      arrivals);
}

// The nearest-rank percentile, `fraction` in (0, 1].
double percentile(std::vector<double> samples, double fraction) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(samples.size())));
  return samples[std::max<std::size_t>(rank, 1) - 1];
}

void run_latency_case(const Target& target, BenchTables& tables) {
  std::vector<double> ours;
  std::vector<double> raw;
  int slot = 0;
  for (const Side side : kSlotOrder) {
    // Also drops the previous slot's subscription: each starts at the beginning.
    tables.truncate();
    const std::vector<double> latencies =
        side == Side::kOurs ? latency_ours(target) : latency_raw(target);
    std::fprintf(stderr, "meowmx_bench: latency slot %d/%zu %-4s p50 %7.2f ms, p99 %7.2f ms\n",
                 ++slot, kSlotOrder.size(), side_name(side), percentile(latencies, 0.5),
                 percentile(latencies, 0.99));
    auto& all = side == Side::kOurs ? ours : raw;
    all.insert(all.end(), latencies.begin(), latencies.end());
  }
  const double ours_p99 = percentile(ours, 0.99);
  const double raw_p99 = percentile(raw, 0.99);
  print_bench_line("latency_p50", percentile(ours, 0.5), percentile(raw, 0.5), 2);
  print_bench_line("latency_p99", ours_p99, raw_p99, 2);
  const double bound = 2 * raw_p99 + 5;
  std::fprintf(stderr,
               "meowmx_bench: latency target ours p99 <= 2 x raw p99 + 5 ms: %.2f <= %.2f ms, %s\n",
               ours_p99, bound, ours_p99 <= bound ? "met" : "missed");
}

}  // namespace

void run_subscription_cases(const BenchOptions& options, const Target& target,
                            BenchTables& tables) {
  bool seeded = false;
  for (const std::int64_t batch_size : {100, 1000}) {
    if (!options.selected(catch_up_case_name(batch_size))) continue;
    if (!seeded) seed_log(target, tables);
    seeded = true;
    run_catch_up_case(target, batch_size);
  }
  if (options.selected(kGroupCaseName)) {
    if (!seeded) seed_log(target, tables);
    seeded = true;
    const PgConnection admin = connect_raw(target.dsn);
    run_group_case(target, admin.get());
  }
  // One measurement gives both lines.
  if (options.selected("latency_p50") || options.selected("latency_p99")) {
    run_latency_case(target, tables);
  }
}

}  // namespace meowmx_bench

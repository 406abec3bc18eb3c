#include "fanout_cases.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
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

constexpr int kFanoutEvents = 100;           // measured saves per run
constexpr milliseconds kSaveGap{5};          // after every subscription had the previous one
constexpr std::chrono::seconds kArrivalTimeout{30};
constexpr const char* kWrittenCategory = "fan0";

// When each subscription handled each measured event (by version).
class Deliveries {
 public:
  Deliveries(int subscriptions, int events)
      : times_(subscriptions, std::vector<std::optional<Clock::time_point>>(events)) {}

  void record(int subscription, std::int64_t version) {
    const Clock::time_point now = Clock::now();
    std::lock_guard lock(mutex_);
    auto& slot = times_.at(subscription).at(static_cast<std::size_t>(version));
    if (!slot) slot = now;
    changed_.notify_all();
  }

  // Waits until each of `who` handled event `version`.
  void wait_for(const std::vector<int>& who, std::int64_t version) {
    std::unique_lock lock(mutex_);
    const bool done = changed_.wait_for(lock, kArrivalTimeout, [&] {
      return std::all_of(who.begin(), who.end(),
                         [&](int s) { return times_[s][static_cast<std::size_t>(version)].has_value(); });
    });
    if (!done) throw std::runtime_error("event " + std::to_string(version) + " missed a subscription");
  }

  Clock::time_point at(int subscription, std::int64_t version) {
    std::lock_guard lock(mutex_);
    return *times_.at(subscription).at(static_cast<std::size_t>(version));
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<std::optional<Clock::time_point>>> times_;
};

// CPU seconds the server's processes used so far (from /proc: the server
// runs on this machine), by the pids pg_stat_activity lists.
double server_cpu_seconds(PGconn* admin) {
  const PgResult result =
      check(admin, PQexec(admin, "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()"), PGRES_TUPLES_OK);
  double seconds = 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    std::ifstream stat(std::string("/proc/") + PQgetvalue(result.get(), row, 0) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // gone meanwhile
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    for (int number = 3; number <= 13; ++number) fields >> field;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    seconds += (utime + stime) / ticks;
  }
  return seconds;
}

double percentile(std::vector<double> samples, double fraction) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(samples.size())));
  return samples[std::max<std::size_t>(rank, 1) - 1];
}

struct FanoutResult {
  double server_cpu_ms_per_event = 0;
  double p99_ms = 0;  // commit (save returned) to handler, over every delivery
};

// `subscriptions` live workers, each on a thread and Client of its own, on
// category fan<i> (or all on fan0 when `same_category`); the writer saves
// one event at a time to fan0, each once every concerned worker had the one
// before.
FanoutResult run_fanout(const Target& target, PGconn* admin, int subscriptions, bool same_category) {
  Deliveries deliveries(subscriptions, kFanoutEvents + 1);
  std::vector<std::unique_ptr<meowmx::Client>> clients;
  for (int i = 0; i < subscriptions; ++i) {
    clients.push_back(std::make_unique<meowmx::Client>(target.client_options(Notify::kOff)));
  }
  std::vector<int> concerned;
  std::vector<std::jthread> workers;
  for (int i = 0; i < subscriptions; ++i) {
    const std::string category = same_category ? kWrittenCategory : "fan" + std::to_string(i);
    if (category == kWrittenCategory) concerned.push_back(i);
    meowmx::SubscriptionOptions options;
    options.categories = {category};
    options.start = meowmx::StartFrom::kBeginning;
    options.max_sleep = std::chrono::seconds(10);  // only a lost wake-up would wait this long
    workers.emplace_back([&, i, options](std::stop_token stop) {
      clients[i]->subscribe(
          "fan" + std::to_string(i), options,
          [&, i](const std::vector<meowmx::RecordedEvent>& batch, pqxx::work&) {
            for (const auto& event : batch) deliveries.record(i, event.version);
          },
          stop);
    });
  }
  meowmx::Client writer(target.client_options(Notify::kOn));
  const std::string aggregate_id = IdSource(target.id_type).next();
  const std::vector<meowmx::NewEvent> event{bench_event()};
  // Version 0 warms every concerned worker up (and shows they all run).
  writer.save(kWrittenCategory, aggregate_id, event, 0);
  deliveries.wait_for(concerned, 0);
  std::vector<double> latencies;
  const double cpu_before = server_cpu_seconds(admin);
  for (int version = 1; version <= kFanoutEvents; ++version) {
    writer.save(kWrittenCategory, aggregate_id, event, version);
    const Clock::time_point committed = Clock::now();
    deliveries.wait_for(concerned, version);
    for (const int s : concerned) {
      latencies.push_back(std::chrono::duration<double, std::milli>(deliveries.at(s, version) - committed).count());
    }
    std::this_thread::sleep_for(kSaveGap);
  }
  const double cpu_seconds = server_cpu_seconds(admin) - cpu_before;
  for (auto& worker : workers) worker.request_stop();
  workers.clear();
  return {cpu_seconds * 1000 / kFanoutEvents, percentile(latencies, 0.99)};
}

// Ours: `subscriptions` live ones; raw: one, the single-subscription figure.
void run_fanout_case(const std::string& name, const Target& target, BenchTables& tables, int subscriptions,
                     bool same_category) {
  const PgConnection admin = connect_raw(target.dsn);
  FanoutResult ours, raw;
  int slot = 0;
  for (const Side side : kSlotOrder) {
    tables.truncate();
    const FanoutResult result = run_fanout(target, admin.get(), side == Side::kOurs ? subscriptions : 1,
                                           same_category);
    std::fprintf(stderr, "meowmx_bench: %s slot %d/%zu %-4s server CPU %7.3f ms/event, p99 %7.2f ms\n",
                 name.c_str(), ++slot, kSlotOrder.size(), side_name(side), result.server_cpu_ms_per_event,
                 result.p99_ms);
    FanoutResult& sum = side == Side::kOurs ? ours : raw;
    sum.server_cpu_ms_per_event += result.server_cpu_ms_per_event / 2;
    sum.p99_ms = std::max(sum.p99_ms, result.p99_ms);
  }
  if (!same_category) print_bench_line(name + "_cpu_ms", ours.server_cpu_ms_per_event, raw.server_cpu_ms_per_event, 3);
  print_bench_line(name + "_p99_ms", ours.p99_ms, raw.p99_ms, 2);
}

}  // namespace

void run_fanout_cases(const BenchOptions& options, const Target& target, BenchTables& tables) {
  if (options.selected("fanout_200")) run_fanout_case("fanout_200", target, tables, 200, false);
  if (options.selected("fanout_50")) run_fanout_case("fanout_50", target, tables, 50, true);
}

}  // namespace meowmx_bench

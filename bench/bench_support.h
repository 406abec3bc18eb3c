// What meowmx's benchmark programs share: where they run (a throwaway
// server, or a scratch database named with --dsn), plain libpq owned by RAII
// for the raw baselines, the rows both sides write, and how a measurement
// is timed, tallied and printed as a BENCH line.
#ifndef MEOWMX_BENCH_BENCH_SUPPORT_H_
#define MEOWMX_BENCH_BENCH_SUPPORT_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include "meowmx/meowmx.h"

namespace meowmx_bench {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string dsn;       // empty: start a throwaway server of our own
  double seconds = 3.0;  // measured time per side of each timed case
  std::string filter;    // run only cases whose name contains this

  bool selected(std::string_view case_name) const;
};

// ---------------------------------------------------------------------------
// libpq, owned.

struct PGconnCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using PgConnection = std::unique_ptr<PGconn, PGconnCloser>;

struct PGresultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PGresultCloser>;

PgConnection connect_raw(const std::string& dsn);
// Takes ownership of `raw_result`; throws unless it has the status the
// statement should produce.
PgResult check(PGconn* connection, PGresult* raw_result, ExecStatusType wanted);
void exec(PGconn* connection, const std::string& sql);
bool exec_bool(PGconn* connection, const std::string& sql);
void prepare(PGconn* connection, const char* name, const std::string& sql);
// The sum of every byte of every field of `result`: a raw reader touches its
// rows' data as a consumer of them would at least do, as meowmx decodes them.
std::uint64_t sum_of_bytes(const PGresult* result);

// ---------------------------------------------------------------------------
// Where the benchmark runs: a throwaway server from tests/support/servers
// (PostgresServer with Durability::kStock), or the database --dsn names.

// Whether a Client's writes wake subscribers (ClientOptions::notify).
enum class Notify { kOff, kOn };

// The database under test, set up by meowmx.
struct Target {
  std::string dsn;
  meowmx::AggregateIdType id_type = meowmx::AggregateIdType::kUuid;  // as set up in the database

  meowmx::ClientOptions client_options(Notify notify) const;
};

// The raw baseline table, and a clean slate for each measurement. On
// destruction the database is left as the run found it: an empty store and
// no raw_events, so a rerun against the same --dsn passes the emptiness check.
class BenchTables {
 public:
  // Throws when the store holds events or subscriptions: they would be lost.
  explicit BenchTables(PGconn* admin);
  ~BenchTables();
  BenchTables(const BenchTables&) = delete;
  BenchTables& operator=(const BenchTables&) = delete;

  // Every table at once, so neither side starts with a bigger index.
  void truncate();
  // Statistics for the planner, and hint bits and the visibility map set,
  // so that the first reader of fresh rows does not pay for that alone.
  void vacuum_analyze();

 private:
  PGconn* admin_;
};

// ---------------------------------------------------------------------------
// What is written.

// Both sides write exactly these rows: same type, same payload, no metadata,
// no client event id.
inline constexpr const char* kAggregateType = "bench_account";
inline constexpr const char* kEventType = "deposited";

nlohmann::json payload();
meowmx::NewEvent bench_event();

// Fresh aggregate ids of the type the schema was set up with.
class IdSource {
 public:
  explicit IdSource(meowmx::AggregateIdType type);

  std::string next();

 private:
  std::string uuid();

  meowmx::AggregateIdType type_;
  std::mt19937_64 random_;
};

// ---------------------------------------------------------------------------
// Measuring.

// Each case measures both sides in four slots, raw, ours, ours, raw, so a
// drift during the case (a checkpoint, autovacuum, a busy neighbour) weighs
// on both sides alike.
enum class Side { kRaw, kOurs };
inline constexpr std::array<Side, 4> kSlotOrder = {Side::kRaw, Side::kOurs, Side::kOurs,
                                                   Side::kRaw};
const char* side_name(Side side);

struct Tally {
  std::int64_t events = 0;
  double seconds = 0;
  // CPU this process used meanwhile: the client side's share of the cores it
  // shares with the server when both run on one machine.
  double client_cpu_seconds = 0;

  void add(const Tally& other);
  double per_second() const;
  double client_cpu_us_per_event() const;
};

// Wall-clock and process CPU time from construction to tally().
class Stopwatch {
 public:
  Stopwatch();

  Tally tally(std::int64_t events) const;

 private:
  Clock::time_point began_;
  double cpu_began_;
};

// One progress line on stderr for a measured slot of a case.
void report_slot(std::string_view case_name, int slot, Side side, const Tally& tally);

// `BENCH <name> ours=<ours> raw=<raw> ratio=<ours/raw>` on stdout, with
// `decimals` digits after the point for ours and raw; ratio=nan when raw is
// not above zero.
void print_bench_line(std::string_view name, double ours, double raw, int decimals);
// The same for two throughput tallies, in events per second.
void print_bench_line(std::string_view name, const Tally& ours, const Tally& raw);

}  // namespace meowmx_bench

#endif  // MEOWMX_BENCH_BENCH_SUPPORT_H_

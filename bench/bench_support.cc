#include "bench_support.h"

#include <cstdio>
#include <ctime>
#include <exception>
#include <limits>
#include <stdexcept>

namespace meowmx_bench {


bool BenchOptions::selected(std::string_view case_name) const {
  return case_name.find(filter) != std::string_view::npos;
}

// ---------------------------------------------------------------------------
// libpq, owned.

PgConnection connect_raw(const std::string& dsn) {
  PgConnection connection(PQconnectdb(dsn.c_str()));
  if (PQstatus(connection.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("libpq connect: ") + PQerrorMessage(connection.get()));
  }
  return connection;
}

PgResult check(PGconn* connection, PGresult* raw_result, ExecStatusType wanted) {
  PgResult result(raw_result);
  if (!result || PQresultStatus(result.get()) != wanted) {
    throw std::runtime_error(std::string("libpq: ") + PQerrorMessage(connection));
  }
  return result;
}

void exec(PGconn* connection, const std::string& sql) {
  check(connection, PQexec(connection, sql.c_str()), PGRES_COMMAND_OK);
}

bool exec_bool(PGconn* connection, const std::string& sql) {
  const PgResult result = check(connection, PQexec(connection, sql.c_str()), PGRES_TUPLES_OK);
  return PQgetvalue(result.get(), 0, 0)[0] == 't';
}

void prepare(PGconn* connection, const char* name, const std::string& sql) {
  check(connection, PQprepare(connection, name, sql.c_str(), 0, nullptr), PGRES_COMMAND_OK);
}

std::uint64_t sum_of_bytes(const PGresult* result) {
  std::uint64_t sum = 0;
  for (int row = 0; row < PQntuples(result); ++row) {
    for (int field = 0; field < PQnfields(result); ++field) {
      const char* value = PQgetvalue(result, row, field);
      const int length = PQgetlength(result, row, field);
      for (int i = 0; i < length; ++i) sum += static_cast<unsigned char>(value[i]);
    }
  }
  return sum;
}

meowmx::ClientOptions Target::client_options(Notify notify) const {
  meowmx::ClientOptions options;
  options.dsn = dsn;
  options.notify = notify == Notify::kOn;
  return options;
}

namespace {

// The store's tables, the raw baseline's and the subscriptions' checkpoints.
constexpr const char* kAllTables =
    "meowmx.events, meowmx.aggregates, meowmx.subscriptions, meowmx.dead_letters, raw_events";

}  // namespace

BenchTables::BenchTables(PGconn* admin) : admin_(admin) {
  if (exec_bool(admin_,
                "SELECT EXISTS (SELECT 1 FROM meowmx.events) "
                "OR EXISTS (SELECT 1 FROM meowmx.subscriptions)")) {
    throw std::runtime_error(
        "the store already holds events or subscriptions and the benchmark truncates it: "
        "point --dsn at a scratch database");
  }
  // LIKE ... INCLUDING ALL copies the column types (the aggregate_id domain),
  // the defaults (tx_id, created_at), the identity (with a sequence of its
  // own), the CHECK constraints and every index, unique ones included: a raw
  // insert maintains exactly what a meowmx insert does, minus
  // meowmx.aggregates and the version check. LIKE copies no triggers, so
  // whatever meowmx's triggers cost shows on our side only.
  exec(admin_, "DROP TABLE IF EXISTS raw_events");
  exec(admin_, "CREATE TABLE raw_events (LIKE meowmx.events INCLUDING ALL)");
}

BenchTables::~BenchTables() {
  try {
    truncate();
    exec(admin_, "DROP TABLE raw_events");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meowmx_bench: cleaning up: %s\n", e.what());
  }
}

void BenchTables::truncate() { exec(admin_, std::string("TRUNCATE ") + kAllTables); }

void BenchTables::vacuum_analyze() {
  exec(admin_, std::string("VACUUM (ANALYZE) ") + kAllTables);
}

// ---------------------------------------------------------------------------
// What is written.

nlohmann::json payload() {
  return {{"amount", 125}, {"currency", "EUR"}, {"reference", "invoice 2024-0042"},
          {"account", "DE89 3704 0044 0532 0130 00"}};
}

meowmx::NewEvent bench_event() {
  meowmx::NewEvent event;
  event.event_type = kEventType;
  event.json = payload();
  return event;  // metadata null, no event id
}

IdSource::IdSource(meowmx::AggregateIdType type) : type_(type), random_(std::random_device{}()) {}

std::string IdSource::next() {
  if (type_ == meowmx::AggregateIdType::kBigint) {
    return std::to_string(random_() >> 2);  // positive, canonical
  }
  return uuid();  // also a fine text id
}

// A version 4 uuid in the lowercase canonical form meowmx requires.
std::string IdSource::uuid() {
  const std::uint64_t high = (random_() & ~0xf000ULL) | 0x4000ULL;
  const std::uint64_t low = (random_() & ~(3ULL << 62)) | (2ULL << 62);
  char text[37];
  std::snprintf(text, sizeof text, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(high >> 32),
                static_cast<unsigned long long>((high >> 16) & 0xffff),
                static_cast<unsigned long long>(high & 0xffff),
                static_cast<unsigned long long>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

// ---------------------------------------------------------------------------
// Measuring.

const char* side_name(Side side) { return side == Side::kOurs ? "ours" : "raw"; }

void Tally::add(const Tally& other) {
  events += other.events;
  seconds += other.seconds;
  client_cpu_seconds += other.client_cpu_seconds;
}

double Tally::per_second() const {
  return seconds > 0 ? static_cast<double>(events) / seconds : 0;
}

double Tally::client_cpu_us_per_event() const {
  return events > 0 ? client_cpu_seconds * 1e6 / static_cast<double>(events) : 0;
}

namespace {

// All threads of this process, the library's included.
double process_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

Stopwatch::Stopwatch() : began_(Clock::now()), cpu_began_(process_cpu_seconds()) {}

Tally Stopwatch::tally(std::int64_t events) const {
  Tally tally;
  tally.events = events;
  tally.seconds = std::chrono::duration<double>(Clock::now() - began_).count();
  tally.client_cpu_seconds = process_cpu_seconds() - cpu_began_;
  return tally;
}

void report_slot(std::string_view case_name, int slot, Side side, const Tally& tally) {
  std::fprintf(stderr,
               "meowmx_bench: %.*s slot %d/%zu %-4s %9.0f events/s, client CPU %6.2f us/event\n",
               static_cast<int>(case_name.size()), case_name.data(), slot, kSlotOrder.size(),
               side_name(side), tally.per_second(), tally.client_cpu_us_per_event());
}

void print_bench_line(std::string_view name, double ours, double raw, int decimals) {
  // No ratio to a raw side that took no time or did nothing; a latency can
  // measure zero or a hair below (see README.md).
  const double ratio = raw > 0 ? ours / raw : std::numeric_limits<double>::quiet_NaN();
  std::printf("BENCH %.*s ours=%.*f raw=%.*f ratio=%.3f\n", static_cast<int>(name.size()),
              name.data(), decimals, ours, decimals, raw, ratio);
  std::fflush(stdout);
}

void print_bench_line(std::string_view name, const Tally& ours, const Tally& raw) {
  print_bench_line(name, ours.per_second(), raw.per_second(), 0);
}

}  // namespace meowmx_bench

// pub_bench: change capture throughput of meowmx's logical decoding source
// next to PostgreSQL's own pg_recvlogical reading the same WAL with the same
// plugin (pgoutput, proto_version 1, the same publication) in the same run.
//
// It starts a throwaway cluster, writes the changes once, then lets each
// reader consume its own slot from the start: meowmx delivers every change
// to a null sink (a receiver that counts keys), pg_recvlogical writes the raw
// stream to /dev/null. The runs go in ABBA order (raw, ours, ours, raw, ...),
// each on a fresh slot, because a later reader of the same WAL tends to be
// faster; each side's rate is its total changes over its total time. Prints
//   BENCH pub_pgoutput ours=<changes/s> raw=<changes/s> ratio=<ours/raw>
// what the trigger source costs a writer (see bench_trigger_insert()):
//   BENCH trigger_insert_100k ours=<rows/s> raw=<rows/s> ratio=<ours/raw>
// and changes into the event log through the log sink (see bench_log_sink()):
//   BENCH pub_log_sink ours=<changes/s> raw=<events/s> ratio=<ours/raw>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "meowmx/meowmx.h"
#include "support/servers/postgres_server.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kTransactions = 400;
constexpr int kRowsPerTransaction = 500;
constexpr long kChanges = static_cast<long>(kTransactions) * kRowsPerTransaction;
constexpr int kRounds = 4;  // runs per side, in ABBA order

// Plain libpq for the set-up, as the other benchmarks do.
void exec(PGconn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  const auto status = PQresultStatus(result);
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw meowmx::Error("bench set-up: " + error);
}

std::string query_value(PGconn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    const std::string error = PQresultErrorMessage(result);
    PQclear(result);
    throw meowmx::Error("bench query: " + error);
  }
  std::string value = PQgetvalue(result, 0, 0);
  PQclear(result);
  return value;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds used so far by this process (RUSAGE_SELF) or its waited-for
// children (RUSAGE_CHILDREN): the client's own cost beside the server's.
double cpu_seconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void report_client_cpu(const char* side, double cpu) {
  std::fprintf(stderr, "  %s: client CPU %.2f us per change\n", side, cpu * 1e6 / static_cast<double>(kChanges));
}

// Counts changes, as cheaply as a sink can: what the engine itself costs.
class CountingSink : public meowmx::Sink {
 public:
  explicit CountingSink(long& count) : count_(count) {}
  std::string_view name() const override { return "count"; }
  std::optional<meowmx::TransactionPosition> open(const meowmx::StreamInfo&, meowmx::SinkMarks&) override {
    return std::nullopt;
  }
  meowmx::Interest interest(const meowmx::CapturedTable&) const override { return meowmx::Interest::kKeys; }
  void begin(const meowmx::Transaction&) override {}
  void change(const meowmx::Transaction&, const meowmx::ChangeEvent&) override { ++count_; }
  bool commit(const meowmx::Transaction&) override { return true; }
  void abort() override {}

 private:
  long& count_;
};

// changes/s of meowmx's pub with --once semantics and a counting sink.
double run_ours(const std::string& dsn, const std::string& slot) {
  long delivered = 0;
  meowmx::PostgresSource source;
  source.dsn = dsn;
  source.tables = {"bench"};
  source.slot = slot;
  source.publication = "bench_pub";
  source.once = true;
  meowmx::SignalBus bus;
  meowmx::Pub pub({.source = source}, bus);
  pub.add_sink(std::make_unique<CountingSink>(delivered));
  const auto start = Clock::now();
  const double cpu = cpu_seconds(RUSAGE_SELF);
  pub.run();
  const double elapsed = seconds_since(start);
  report_client_cpu("meowmx", cpu_seconds(RUSAGE_SELF) - cpu);
  if (delivered != kChanges) {
    throw meowmx::Error("meowmx delivered " + std::to_string(delivered) + " of " + std::to_string(kChanges));
  }
  return static_cast<double>(kChanges) / elapsed;
}

// changes/s of pg_recvlogical streaming the slot up to `end_lsn`.
double run_raw(const fs::path& bin, const std::string& dsn, const std::string& slot, const std::string& end_lsn) {
  const std::string program = (bin / "pg_recvlogical").string();
  std::vector<std::string> args = {program, "-d", dsn, "--slot", slot, "--start", "--no-loop",
                                   "-o", "proto_version=1", "-o", "publication_names=bench_pub",
                                   "--endpos", end_lsn, "-F", "0", "-f", "/dev/null"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const auto start = Clock::now();
  const double cpu = cpu_seconds(RUSAGE_CHILDREN);
  pid_t pid = 0;
  if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    throw meowmx::Error("cannot run " + program);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double elapsed = seconds_since(start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw meowmx::Error("pg_recvlogical failed");
  report_client_cpu("pg_recvlogical", cpu_seconds(RUSAGE_CHILDREN) - cpu);
  return static_cast<double>(kChanges) / elapsed;
}

// Rows/s of a 100,000-row INSERT, one statement, into a table with the
// trigger source's triggers and a pub listening (ours), beside the same
// INSERT into a table without them (raw), in ABBA order. Each measured
// INSERT is checked to have reached the pub whole before the next one.
void bench_trigger_insert(const std::string& dsn) {
  constexpr long kRows = 100000;
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(dsn.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK) throw meowmx::ConnectionError("bench: cannot connect");
  for (const char* table : {"trigger_bench", "trigger_bench_raw"}) {
    exec(connection.get(), std::string("CREATE TABLE ") + table +
                               " (id bigint PRIMARY KEY, account int NOT NULL, note text NOT NULL)");
  }
  meowmx::SignalBus bus;
  std::atomic<long> delivered{0};
  meowmx::ScopedConnection counter =
      bus.signal("trigger_bench_write").connect([&delivered](const nlohmann::json&) { ++delivered; });
  meowmx::Pub pub({.source = meowmx::PostgresTriggerSource{.dsn = dsn, .tables = {"trigger_bench"}}}, bus);
  std::exception_ptr failure;
  std::jthread listening([&](std::stop_token stop) {
    std::stop_callback stop_pub(stop, [&pub] { pub.stop(); });
    try {
      pub.run();
    } catch (...) {
      failure = std::current_exception();
    }
  });
  auto wait_until = [&](const char* what, auto ready) {
    for (const auto deadline = Clock::now() + std::chrono::minutes(2); !ready();) {
      if (failure) std::rethrow_exception(failure);
      if (Clock::now() > deadline) throw meowmx::Error(std::string("bench: timed out waiting until ") + what);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  wait_until("the triggers are installed", [&] {
    return query_value(connection.get(), "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'trigger_bench'::regclass") ==
           "4";
  });
  double seconds[2] = {0, 0};  // raw, ours
  long expected = 0;
  for (const bool ours : {false, true, true, false}) {
    const std::string table = ours ? "trigger_bench" : "trigger_bench_raw";
    exec(connection.get(), "TRUNCATE " + table);
    const auto start = Clock::now();
    exec(connection.get(), "INSERT INTO " + table + " SELECT i, i % 1000, 'note ' || i FROM generate_series(1, " +
                               std::to_string(kRows) + ") i");
    const double elapsed = seconds_since(start);
    seconds[ours] += elapsed;
    std::fprintf(stderr, "%s: %.0f rows/s\n", ours ? "with triggers" : "without", static_cast<double>(kRows) / elapsed);
    if (ours) {
      expected += kRows;
      wait_until("the pub has every row", [&] { return delivered >= expected; });
      if (delivered != expected) throw meowmx::Error("bench: the pub got rows twice");
    }
  }
  const double raw = 2.0 * kRows / seconds[0];
  const double ours = 2.0 * kRows / seconds[1];
  std::printf("BENCH trigger_insert_100k ours=%.0f raw=%.0f ratio=%.2f\n", ours, raw, ours / raw);
  listening.request_stop();
  listening.join();
  if (failure) std::rethrow_exception(failure);
}

// Changes/s captured into the event log by `pub --sink log --once` (WAL
// decoding, the pipeline, batched appends with their aggregates and the
// resume point), beside the same events written by raw multi-row INSERTs of
// 1,000 rows into meowmx.events, one transaction per source transaction.
void bench_log_sink(const std::string& server_dsn) {
  constexpr int kSourceTransactions = 100;
  constexpr int kRows = 1000;
  constexpr long kEvents = static_cast<long>(kSourceTransactions) * kRows;
  constexpr int kColumns = 7;
  {
    std::unique_ptr<PGconn, decltype(&PQfinish)> admin(PQconnectdb(server_dsn.c_str()), &PQfinish);
    exec(admin.get(), "CREATE DATABASE log_bench");
  }
  const std::string dsn = server_dsn.substr(0, server_dsn.rfind('/')) + "/log_bench";
  meowmx::Client(meowmx::ClientOptions{dsn}).setup({.aggregate_id_type = meowmx::AggregateIdType::kText});
  std::unique_ptr<PGconn, decltype(&PQfinish)> connection(PQconnectdb(dsn.c_str()), &PQfinish);
  exec(connection.get(), "CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, note text NOT NULL)");
  meowmx::PostgresSource source;
  source.dsn = dsn;
  source.tables = {"ledger"};
  source.slot = "bench_log";
  source.once = true;
  meowmx::SignalBus bus;
  meowmx::Pub({.source = source}, bus).run();  // creates the slot
  for (int t = 0; t < kSourceTransactions; ++t) {
    const long first = static_cast<long>(t) * kRows + 1;
    exec(connection.get(), "INSERT INTO ledger SELECT i, i % 1000, 'note ' || i FROM generate_series(" +
                               std::to_string(first) + ", " + std::to_string(first + kRows - 1) + ") i");
  }
  meowmx::Pub pub({.source = source}, bus);
  pub.add_sink(meowmx::make_log_sink({.dsn = dsn}));
  auto start = Clock::now();
  pub.run();
  const double ours = static_cast<double>(kEvents) / seconds_since(start);
  if (query_value(connection.get(), "SELECT count(*) FROM meowmx.events") != std::to_string(kEvents)) {
    throw meowmx::Error("bench: the log sink did not store every change");
  }

  // The same events, as text, for the raw side.
  std::vector<std::string> values;
  {
    std::unique_ptr<PGresult, decltype(&PQclear)> rows(
        PQexec(connection.get(), "SELECT aggregate_type, aggregate_id::text, version::text, event_type, json::text,"
                                 " metadata::text, event_id::text FROM meowmx.events ORDER BY id"),
        &PQclear);
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      for (int column = 0; column < kColumns; ++column) values.emplace_back(PQgetvalue(rows.get(), row, column));
    }
  }
  exec(connection.get(), "TRUNCATE meowmx.events, meowmx.aggregates");
  std::string insert =
      "INSERT INTO meowmx.events (aggregate_type, aggregate_id, version, event_type, json, metadata, event_id) VALUES ";
  for (int row = 0; row < kRows; ++row) {
    insert += row ? ",(" : "(";
    for (int column = 0; column < kColumns; ++column) {
      insert += (column ? ",$" : "$") + std::to_string(row * kColumns + column + 1);
    }
    insert += ")";
  }
  start = Clock::now();
  for (int t = 0; t < kSourceTransactions; ++t) {
    std::vector<const char*> parameters;
    for (int i = 0; i < kRows * kColumns; ++i) parameters.push_back(values[static_cast<std::size_t>(t * kRows * kColumns + i)].c_str());
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexecParams(connection.get(), insert.c_str(), kRows * kColumns, nullptr, parameters.data(), nullptr, nullptr, 0),
        &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      throw meowmx::Error(std::string("bench: ") + PQerrorMessage(connection.get()));
    }
  }
  const double raw = static_cast<double>(kEvents) / seconds_since(start);
  std::printf("BENCH pub_log_sink ours=%.0f raw=%.0f ratio=%.2f\n", ours, raw, ours / raw);
}

}  // namespace

int main() {
  spdlog::set_default_logger(spdlog::stderr_color_mt("pub_bench"));
  spdlog::set_level(spdlog::level::warn);
  int exit_code = 0;
  try {
    // Durability off on both sides alike: the case is decoding, not commits.
    const meowmx::testing::PostgresServer server(
        {.settings = {"synchronous_commit = off"}});
    const std::string dsn = server.url();

    PGconn* connection = PQconnectdb(dsn.c_str());
    if (PQstatus(connection) != CONNECTION_OK) throw meowmx::ConnectionError("bench: cannot connect");
    exec(connection, "CREATE TABLE bench (id bigint PRIMARY KEY, account int NOT NULL, note text NOT NULL)");
    exec(connection, "CREATE PUBLICATION bench_pub FOR TABLE bench");
    for (int run = 0; run < kRounds; ++run) {
      for (const char* side : {"ours", "raw"}) {
        exec(connection, "SELECT pg_create_logical_replication_slot('bench_" + std::string(side) + "_" +
                             std::to_string(run) + "', 'pgoutput')");
      }
    }
    for (int t = 0; t < kTransactions; ++t) {
      const long first = static_cast<long>(t) * kRowsPerTransaction + 1;
      exec(connection, "INSERT INTO bench SELECT i, i % 1000, 'note ' || i FROM generate_series(" +
                           std::to_string(first) + ", " + std::to_string(first + kRowsPerTransaction - 1) + ") i");
    }
    const std::string end_lsn = query_value(connection, "SELECT pg_current_wal_insert_lsn()::text");
    PQfinish(connection);

    const fs::path bin = meowmx::DevCluster::find_bin_dir();
    double ours_seconds = 0;
    double raw_seconds = 0;
    int ours_runs = 0;
    int raw_runs = 0;
    auto run_side = [&](bool raw_side) {
      const double rate = raw_side ? run_raw(bin, dsn, "bench_raw_" + std::to_string(raw_runs++), end_lsn)
                                   : run_ours(dsn, "bench_ours_" + std::to_string(ours_runs++));
      (raw_side ? raw_seconds : ours_seconds) += static_cast<double>(kChanges) / rate;
      std::fprintf(stderr, "%s: %.0f changes/s\n", raw_side ? "pg_recvlogical" : "meowmx", rate);
    };
    for (int pair = 0; pair < kRounds / 2; ++pair) {
      for (bool raw_side : {true, false, false, true}) run_side(raw_side);
    }
    const double ours = static_cast<double>(kChanges) * ours_runs / ours_seconds;
    const double raw = static_cast<double>(kChanges) * raw_runs / raw_seconds;
    std::printf("BENCH pub_pgoutput ours=%.0f raw=%.0f ratio=%.2f\n", ours, raw, ours / raw);
    bench_trigger_insert(dsn);
    bench_log_sink(dsn);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pub_bench: %s\n", e.what());
    exit_code = 1;
  }
  return exit_code;
}

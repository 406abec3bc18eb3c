// replicate_bench: the Replicator's throughput next to the same work done
// without it, in the same run on a throwaway cluster.
//
//   BENCH replicate_pks ours=<pks/s> raw=<pks/s> ratio=<ours/raw>
// changes captured from one slot each and handed to 4 workers with a no-op
// action (ours), beside the same changes read by a Pub into a sink that
// discards them (raw); pks/s counts the changes read, duplicates included.
//   BENCH replicate_pg_target ours=<rows/s> raw=<rows/s> ratio=<ours/raw>
// rows inserted in the source, captured and copied into a second database
// by --target postgres with 4 workers (ours), beside one connection reading
// the same rows in batches of 100 and writing each batch with one
// INSERT ... ON CONFLICT DO UPDATE (raw).
//
// Each side runs twice, in ABBA order, each run on a slot of its own made
// before the writes; a side's rate is its total over its total time.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bench_support.h"
#include "meowmx/meowmx.h"
#include "support/servers/postgres_server.h"

namespace {

using meowmx_bench::Clock;
using meowmx_bench::connect_raw;
using meowmx_bench::exec;

constexpr int kWorkers = 4;

// Reads and discards: what the replicator adds is measured against it.
class DiscardingSink : public meowmx::Sink {
 public:
  explicit DiscardingSink(std::atomic<long>& changes) : changes_(changes) {}
  std::string_view name() const override { return "discard"; }
  std::optional<meowmx::TransactionPosition> open(const meowmx::StreamInfo&, meowmx::SinkMarks&) override {
    return std::nullopt;
  }
  meowmx::Interest interest(const meowmx::CapturedTable&) const override { return meowmx::Interest::kKeys; }
  void begin(const meowmx::Transaction&) override {}
  void change(const meowmx::Transaction&, const meowmx::ChangeEvent&) override { ++changes_; }
  bool commit(const meowmx::Transaction&) override { return true; }
  void abort() override {}

 private:
  std::atomic<long>& changes_;
};

meowmx::PostgresSource source_of(const std::string& dsn, const std::string& table, const std::string& slot) {
  meowmx::PostgresSource source;
  source.dsn = dsn;
  source.tables = {table};
  source.slot = slot;
  source.once = true;
  return source;
}

std::string slot_name(const std::string& bench, meowmx_bench::Side side, int run) {
  return bench + "_" + meowmx_bench::side_name(side) + "_" + std::to_string(run);
}

// Makes the slot (and its publication) by running a pub that finds nothing to read.
void make_slot(const std::string& dsn, const std::string& table, const std::string& slot) {
  meowmx::SignalBus bus;
  meowmx::Pub pub({.source = source_of(dsn, table, slot)}, bus);
  pub.run();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Ours: the replicator over the slot until the WAL as of its start is done.
double replicate_seconds(const std::string& dsn, const std::string& table, const std::string& slot,
                         meowmx::PkBatchAction action) {
  meowmx::CaptureInput input;
  input.source = source_of(dsn, table, slot);
  // Nothing fails here; a file spares the bench database the meowmx schema.
  const auto parked = std::filesystem::temp_directory_path() / "replicate_bench_parked.jsonl";
  meowmx::Replicator replicator({.input = input, .parked_file = parked, .status_interval = std::chrono::milliseconds(0)});
  replicator.on_batch(table + "_*", {.workers = kWorkers, .batch = 100}, std::move(action));
  const auto start = Clock::now();
  replicator.run();
  return seconds_since(start);
}

void bench_pks(const std::string& dsn) {
  constexpr int kTransactions = 200;
  constexpr int kChangesPerTransaction = 500;
  constexpr long kChanges = static_cast<long>(kTransactions) * kChangesPerTransaction;
  auto admin = connect_raw(dsn);
  exec(admin.get(), "CREATE TABLE hot (id int PRIMARY KEY, n bigint NOT NULL)");
  exec(admin.get(), "INSERT INTO hot SELECT g, 0 FROM generate_series(1, 10000) g");
  for (int run = 0; run < 2; ++run) {
    for (const auto side : {meowmx_bench::Side::kRaw, meowmx_bench::Side::kOurs}) make_slot(dsn, "hot", slot_name("pks", side, run));
  }
  exec(admin.get(), "DO $$ BEGIN FOR i IN 1.." + std::to_string(kTransactions) +
                        " LOOP UPDATE hot SET n = n + 1 WHERE id IN (SELECT (random() * 9999)::int + 1 FROM "
                        "generate_series(1, " + std::to_string(kChangesPerTransaction * 2) +
                        ") LIMIT " + std::to_string(kChangesPerTransaction) + "); COMMIT; END LOOP; END $$");
  const auto sum = meowmx_bench::check(admin.get(), PQexec(admin.get(), "SELECT sum(n) FROM hot"), PGRES_TUPLES_OK);
  const long written = std::stol(PQgetvalue(sum.get(), 0, 0));
  meowmx_bench::Tally ours, raw;
  int slot = 0;
  for (const auto side : meowmx_bench::kSlotOrder) {
    const int run = slot++ / 2;
    meowmx_bench::Tally tally;
    if (side == meowmx_bench::Side::kRaw) {
      std::atomic<long> changes{0};
      meowmx::SignalBus bus;
      meowmx::Pub pub({.source = source_of(dsn, "hot", slot_name("pks", side, run))}, bus);
      pub.add_sink(std::make_unique<DiscardingSink>(changes));
      const auto start = Clock::now();
      pub.run();
      tally = {changes.load(), seconds_since(start), 0};
    } else {
      std::atomic<long> pks{0};
      const double seconds = replicate_seconds(dsn, "hot", slot_name("pks", side, run), [&](const meowmx::PkBatch& batch) {
        pks += static_cast<long>(batch.pks.size());
        return std::vector<bool>(batch.pks.size(), true);
      });
      tally = {written, seconds, 0};
      std::fprintf(stderr, "replicate_pks: %ld changes reached the action as %ld pks\n", written, pks.load());
    }
    meowmx_bench::report_slot("replicate_pks", slot, side, tally);
    (side == meowmx_bench::Side::kOurs ? ours : raw).add(tally);
  }
  if (written != kChanges) std::fprintf(stderr, "replicate_pks: %ld changes written\n", written);
  meowmx_bench::print_bench_line("replicate_pks", ours, raw);
}

void bench_pg_target(const std::string& dsn, const std::string& copy_dsn) {
  constexpr int kRows = 20000;
  constexpr int kBatch = 100;
  const std::string table = "CREATE TABLE rows (id int PRIMARY KEY, amount numeric NOT NULL, note text NOT NULL)";
  auto source = connect_raw(dsn);
  auto target = connect_raw(copy_dsn);
  exec(source.get(), table);
  exec(target.get(), table);
  for (int run = 0; run < 2; ++run) {
    for (const auto side : {meowmx_bench::Side::kRaw, meowmx_bench::Side::kOurs}) make_slot(dsn, "rows", slot_name("target", side, run));
  }
  exec(source.get(), "INSERT INTO rows SELECT g, g * 1.25, 'note ' || g FROM generate_series(1, " +
                         std::to_string(kRows) + ") g");
  meowmx_bench::Tally ours, raw;
  int slot = 0;
  for (const auto side : meowmx_bench::kSlotOrder) {
    const int run = slot++ / 2;
    exec(target.get(), "TRUNCATE rows");
    meowmx_bench::Tally tally;
    if (side == meowmx_bench::Side::kRaw) {
      const auto start = Clock::now();
      for (int first = 1; first <= kRows; first += kBatch) {
        const std::string range = std::to_string(first) + " AND " + std::to_string(first + kBatch - 1);
        auto rows = meowmx_bench::check(
            source.get(),
            PQexec(source.get(), ("SELECT json_agg(r)::text FROM rows r WHERE id BETWEEN " + range).c_str()),
            PGRES_TUPLES_OK);
        const char* params[] = {PQgetvalue(rows.get(), 0, 0)};
        meowmx_bench::check(target.get(),
                            PQexecParams(target.get(),
                                         "INSERT INTO rows SELECT * FROM json_populate_recordset(NULL::rows, $1::json) "
                                         "ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, note = excluded.note",
                                         1, nullptr, params, nullptr, nullptr, 0),
                            PGRES_COMMAND_OK);
      }
      tally = {kRows, seconds_since(start), 0};
    } else {
      const double seconds = replicate_seconds(dsn, "rows", slot_name("target", side, run),
                                               meowmx::make_postgres_target({.source_dsn = dsn, .target_dsn = copy_dsn}));
      tally = {kRows, seconds, 0};
    }
    const auto copied = meowmx_bench::check(target.get(), PQexec(target.get(), "SELECT count(*) FROM rows"), PGRES_TUPLES_OK);
    if (std::stol(PQgetvalue(copied.get(), 0, 0)) != kRows) throw meowmx::Error("replicate_pg_target: rows missing in the copy");
    meowmx_bench::report_slot("replicate_pg_target", slot, side, tally);
    (side == meowmx_bench::Side::kOurs ? ours : raw).add(tally);
  }
  meowmx_bench::print_bench_line("replicate_pg_target", ours, raw);
}

}  // namespace

int main() {
  spdlog::set_default_logger(spdlog::stderr_color_mt("replicate_bench"));
  spdlog::set_level(spdlog::level::warn);
  try {
    const meowmx::testing::PostgresServer server({.settings = {"synchronous_commit = off"}});
    const std::string dsn = server.url();
    exec(connect_raw(dsn).get(), "CREATE DATABASE copy");
    bench_pks(dsn);
    bench_pg_target(dsn, server.url("copy"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replicate_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

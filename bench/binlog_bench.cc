// binlog_bench: the MySQL source's throughput next to MariaDB's own
// mariadb-binlog reading the same binlog from the same server in the same run.
//
// It starts a throwaway MariaDB, writes the changes once (transactions of
// many rows, as a bulk load writes them), then lets each reader consume the
// whole binlog from its start: meowmx decodes every row image, whole rows
// included, into a sink that drops them; `mariadb-binlog
// --read-from-remote-server --base64-output=DECODE-ROWS -vv` decodes and
// prints every row to /dev/null. After a warm-up run of each, rounds go in
// ABBA order; each side's rate is its total changes over its total time. Prints
//   BENCH pub_binlog ours=<changes/s> raw=<changes/s> ratio=<ours/raw>
// and the same for a binlog of one-row transactions, where the stream's
// position is written after every one: kept in a state file
// (pub_binlog_1row_tx_state_file) and in PostgreSQL (pub_binlog_1row_tx_postgres).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "meowmx/meowmx.h"
#include "support/servers/mariadb_server.h"
#include "support/servers/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kTransactions = 200;
constexpr int kRowsPerTransaction = 500;
constexpr long kChanges = static_cast<long>(kTransactions) * kRowsPerTransaction;
constexpr long kSmallTransactions = 5000;  // one row each, in a binlog of their own
// Runs per side, in ABBA order, after one untimed warm-up run of each (the
// first read of a binlog pays for the server's cold caches). A bulk run
// takes a fraction of a second, so it gets more rounds to steady its ratio.
constexpr int kBulkRounds = 6;
constexpr int kSmallRounds = 2;

// Takes whole rows and drops them: what decoding alone costs.
class DroppingSink : public meowmx::Sink {
 public:
  std::string_view name() const override { return "drop"; }
  std::optional<meowmx::TransactionPosition> open(const meowmx::StreamInfo&, meowmx::SinkMarks&) override {
    return std::nullopt;
  }
  meowmx::Interest interest(const meowmx::CapturedTable&) const override { return meowmx::Interest::kRows; }
  void begin(const meowmx::Transaction&) override {}
  void change(const meowmx::Transaction&, const meowmx::ChangeEvent& change) override {
    rows += change.values ? 1 : 0;
  }
  bool commit(const meowmx::Transaction&) override { return true; }
  void abort() override {}

  long rows = 0;
};

// One case's binlog: the table, the log it starts in, its changes.
struct Binlog {
  std::string table;
  std::string first_log;
  long changes = 0;
};

// Where a run keeps its stream's position: a fresh state file or a fresh
// PostgreSQL row each time, since the stream starts from the case's first log.
struct PositionKeeping {
  std::filesystem::path state_file;  // else position_dsn
  std::string position_dsn;
};

double run_ours(const meowmx::testing::MariaDbServer& server, const Binlog& binlog, const PositionKeeping& keeping,
                int run) {
  meowmx::MysqlSource source;
  source.dsn = server.url();
  source.tables = {binlog.table};
  source.slot = "binlog_bench_" + std::to_string(run);
  if (keeping.position_dsn.empty()) {
    std::filesystem::remove(keeping.state_file);
    source.state_file = keeping.state_file.string();
  } else {
    source.position_dsn = keeping.position_dsn;
  }
  source.from = binlog.first_log + ":4";
  source.once = true;
  meowmx::SignalBus bus;
  meowmx::Pub pub({.source = source}, bus);
  auto sink = std::make_unique<DroppingSink>();
  const DroppingSink* dropping = sink.get();
  pub.add_sink(std::move(sink));
  const auto start = Clock::now();
  pub.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (dropping->rows != binlog.changes) {
    throw meowmx::Error("meowmx decoded " + std::to_string(dropping->rows) + " of " + std::to_string(binlog.changes));
  }
  return static_cast<double>(binlog.changes) / elapsed;
}

double run_raw(const meowmx::testing::MariaDbServer& server, const Binlog& binlog) {
  const std::string command = "mariadb-binlog --no-defaults --read-from-remote-server --host=127.0.0.1 --port=" +
                              std::to_string(server.port()) +
                              " --user=root --base64-output=DECODE-ROWS -vv --to-last-log " + binlog.first_log +
                              " > /dev/null";
  const auto start = Clock::now();
  if (std::system(command.c_str()) != 0) throw meowmx::Error("mariadb-binlog failed: " + command);
  return static_cast<double>(binlog.changes) / std::chrono::duration<double>(Clock::now() - start).count();
}

// A warm-up run of each side, then rounds in ABBA order; each side's rate is
// its total changes over its total time.
void measure(const std::string& name, const meowmx::testing::MariaDbServer& server, const Binlog& binlog,
             const PositionKeeping& keeping, int rounds) {
  static int runs = 0;
  run_raw(server, binlog);
  run_ours(server, binlog, keeping, ++runs);
  double ours_seconds = 0;
  double raw_seconds = 0;
  for (int round = 0; round < rounds; ++round) {
    const bool raw_first = round % 2 == 0;
    for (int side = 0; side < 2; ++side) {
      if ((side == 0) == raw_first) {
        raw_seconds += binlog.changes / run_raw(server, binlog);
      } else {
        ours_seconds += binlog.changes / run_ours(server, binlog, keeping, ++runs);
      }
    }
  }
  const double ours = rounds * binlog.changes / ours_seconds;
  const double raw = rounds * binlog.changes / raw_seconds;
  std::printf("BENCH %s ours=%.0f raw=%.0f ratio=%.2f\n", name.c_str(), ours, raw, ours / raw);
  std::fflush(stdout);
}

std::string last_binlog(const meowmx::testing::MariaDbServer& server) {
  const std::string logs = server.query("SHOW BINARY LOGS");
  const auto last_line = logs.rfind('\n', logs.size() - 2);
  const std::string line = logs.substr(last_line == std::string::npos ? 0 : last_line + 1);
  return line.substr(0, line.find('\t'));
}

}  // namespace

int main() {
  try {
    spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
    spdlog::set_level(spdlog::level::warn);
    meowmx::testing::MariaDbServer server;
    meowmx::testing::TempDir dir("meowmx-binlog-bench");
    const PositionKeeping state_file{dir.path() / "state.json", ""};

    std::string script =
        "CREATE DATABASE bench; CREATE TABLE bench.bench (id BIGINT PRIMARY KEY, name VARCHAR(64), "
        "amount DECIMAL(12,2), created DATETIME(6), flag TINYINT);\n";
    for (int t = 0; t < kTransactions; ++t) {
      script += "INSERT INTO bench.bench VALUES ";
      for (int r = 0; r < kRowsPerTransaction; ++r) {
        const long id = static_cast<long>(t) * kRowsPerTransaction + r + 1;
        script += (r ? ",(" : "(") + std::to_string(id) + ",'customer " + std::to_string(id) + "'," +
                  std::to_string(id % 100000) + ".25,'2024-01-02 03:04:05.123456'," + std::to_string(id % 2) + ")";
      }
      script += ";\n";
    }
    server.execute(script);
    const Binlog bulk{"bench.bench", server.query("SHOW BINARY LOGS").substr(0, 18), kChanges};
    measure("pub_binlog", server, bulk, state_file, kBulkRounds);

    // One row per transaction: the stream's position is written after each
    // one, before the next reaches a sink; in a state file, then in PostgreSQL.
    server.execute("FLUSH BINARY LOGS; CREATE TABLE bench.small (id BIGINT PRIMARY KEY, name VARCHAR(64));");
    const std::string small_log = last_binlog(server);
    script.clear();
    for (long id = 1; id <= kSmallTransactions; ++id) {
      script += "INSERT INTO bench.small VALUES (" + std::to_string(id) + ",'customer " + std::to_string(id) + "');\n";
    }
    server.execute(script);
    const Binlog small{"bench.small", small_log, kSmallTransactions};
    measure("pub_binlog_1row_tx_state_file", server, small, state_file, kSmallRounds);
    meowmx::DevCluster postgres({.dir = dir.path() / "pg", .settings = {}, .stop_on_destroy = true});
    postgres.start();
    meowmx::Client(meowmx::ClientOptions{.dsn = postgres.url()}).setup();
    measure("pub_binlog_1row_tx_postgres", server, small, {"", postgres.url()}, kSmallRounds);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "binlog_bench: %s\n", error.what());
    return 1;
  }
}

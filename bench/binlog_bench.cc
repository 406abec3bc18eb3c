// binlog_bench: the MySQL source's throughput next to MariaDB's own
// mariadb-binlog reading the same binlog from the same server in the same run.
//
// It starts a throwaway MariaDB, writes the changes once (transactions of
// many rows, as a bulk load writes them), then lets each reader consume the
// whole binlog from its start: meowmx decodes every row image, whole rows
// included, into a sink that drops them; `mariadb-binlog
// --read-from-remote-server --base64-output=DECODE-ROWS -vv` decodes and
// prints every row to /dev/null. Rounds go in ABBA order; each side's rate
// is its total changes over its total time. Prints
//   BENCH pub_binlog ours=<changes/s> raw=<changes/s> ratio=<ours/raw>
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
constexpr int kRounds = 2;  // runs per side, in ABBA order

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

double run_ours(const meowmx::testing::MariaDbServer& server, const std::filesystem::path& state) {
  std::filesystem::remove(state);
  meowmx::MysqlSource source;
  source.dsn = server.url();
  source.tables = {"bench.bench"};
  source.slot = "binlog_bench";
  source.state_file = state.string();
  source.from = "beginning";
  source.once = true;
  meowmx::SignalBus bus;
  meowmx::Pub pub({.source = source}, bus);
  auto sink = std::make_unique<DroppingSink>();
  const DroppingSink* dropping = sink.get();
  pub.add_sink(std::move(sink));
  const auto start = Clock::now();
  pub.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (dropping->rows != kChanges) {
    throw meowmx::Error("meowmx decoded " + std::to_string(dropping->rows) + " of " + std::to_string(kChanges));
  }
  return static_cast<double>(kChanges) / elapsed;
}

double run_raw(const meowmx::testing::MariaDbServer& server, const std::string& first_log) {
  const std::string command = "mariadb-binlog --no-defaults --read-from-remote-server --host=127.0.0.1 --port=" +
                              std::to_string(server.port()) +
                              " --user=root --base64-output=DECODE-ROWS -vv --to-last-log " + first_log +
                              " > /dev/null";
  const auto start = Clock::now();
  if (std::system(command.c_str()) != 0) throw meowmx::Error("mariadb-binlog failed: " + command);
  return static_cast<double>(kChanges) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main() {
  try {
    spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
    spdlog::set_level(spdlog::level::warn);
    meowmx::testing::MariaDbServer server;
    meowmx::testing::TempDir dir("meowmx-binlog-bench");
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
    const std::string first_log = server.query("SHOW BINARY LOGS").substr(0, 18);
    double ours_seconds = 0;
    double raw_seconds = 0;
    for (int round = 0; round < kRounds; ++round) {
      const bool raw_first = round % 2 == 0;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == raw_first) {
          raw_seconds += kChanges / run_raw(server, first_log);
        } else {
          ours_seconds += kChanges / run_ours(server, dir.path() / "state.json");
        }
      }
    }
    const double ours = kRounds * kChanges / ours_seconds;
    const double raw = kRounds * kChanges / raw_seconds;
    std::printf("BENCH pub_binlog ours=%.0f raw=%.0f ratio=%.2f\n", ours, raw, ours / raw);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "binlog_bench: %s\n", error.what());
    return 1;
  }
}

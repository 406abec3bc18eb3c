// The MySQL source when its connection goes, against a real MariaDB of this
// binary's own: the server kills the binlog dump mid-stream under a writer,
// and a server that stops answering (SIGSTOP) is taken for dead after four
// silent heartbeats. Each time the pub opens the stream again from its kept
// position and goes on: every committed change, in order, at most one
// transaction again.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "meowmx/meowmx.h"
#include "support/polling.h"
#include "support/recording_sink.h"
#include "support/running_pub.h"
#include "support/servers/mariadb_server.h"
#include "support/servers/temp_dir.h"

using namespace meowmx;
using namespace std::chrono_literals;

namespace {

// Counts the pub's sessions: each one opens its sinks afresh.
class SessionCountingSink : public testing::RecordingSink {
 public:
  SessionCountingSink(testing::Recording& recording, std::atomic<int>& sessions)
      : RecordingSink(recording), sessions_(sessions) {}
  std::optional<TransactionPosition> open(const StreamInfo& stream, SinkMarks& marks) override {
    ++sessions_;
    return RecordingSink::open(stream, marks);
  }

 private:
  std::atomic<int>& sessions_;
};

// This binary's own server, started at first use; the SIGSTOP test stops it a while.
testing::MariaDbServer& mariadb() {
  static testing::MariaDbServer server;
  return server;
}

// A table `pairs` in a database of its own, and a pub streaming it from the
// end of the binlog, its position in a state file; heartbeats every 200 ms,
// so four silent ones (rounded up to whole seconds, at least 2 s) end a connection.
class Stream {
 public:
  explicit Stream(const std::string& name)
      : database_(name + "_" + std::to_string(getpid())), state_dir_("meowmx-mysql-connection") {
    mariadb().execute("CREATE DATABASE " + database_ + "; CREATE TABLE " + database_ +
                      ".pairs (id INT PRIMARY KEY, side CHAR(1));");
    source_.dsn = mariadb().url();
    source_.tables = {database_ + ".pairs"};
    source_.slot = database_;
    source_.state_file = (state_dir_.path() / "position.json").string();
    source_.from = "now";
    source_.heartbeat = 200ms;
    source_.once = true;
    SignalBus bus;
    Pub(PubOptions{.source = source_}, bus).run();  // keeps the position: nothing written before is seen
    source_.once = false;
  }

  std::unique_ptr<testing::RunningPub> start(testing::Recording& recording) {
    std::vector<std::unique_ptr<Sink>> sinks;
    sinks.push_back(std::make_unique<SessionCountingSink>(recording, sessions));
    return std::make_unique<testing::RunningPub>(PubOptions{.source = source_, .max_retry_wait = 500ms},
                                                 std::move(sinks), bus_);
  }

  // Transaction n: ids 2n-1 and 2n, one INSERT.
  void write_transaction(int n) const {
    mariadb().execute("INSERT INTO " + database_ + ".pairs VALUES (" + std::to_string(2 * n - 1) + ", 'a'), (" +
                      std::to_string(2 * n) + ", 'b');");
  }

  std::atomic<int> sessions{0};

 private:
  std::string database_;
  testing::TempDir state_dir_;
  MysqlSource source_;
  SignalBus bus_;
};

// The ids of the committed transactions' changes, in delivery order (a
// transaction aborted by a lost connection comes again whole).
std::vector<int> committed_ids(const testing::Recording& recording) {
  std::vector<int> ids;
  std::vector<int> open;
  for (const std::string& line : recording.lines()) {
    if (line == "begin" || line == "abort") {
      open.clear();
    } else if (line == "commit") {
      ids.insert(ids.end(), open.begin(), open.end());
      open.clear();
    } else {
      open.push_back(std::stoi(line.substr(line.find(' ') + 1)));
    }
  }
  return ids;
}

// Every id from 1 to 2 * transactions, in order; where a session went back,
// it went back to a transaction's start and by one transaction at most.
void check_delivery(const std::vector<int>& ids, int transactions, int sessions) {
  std::set<int> seen;
  int last = 0;
  int restarts = 0;
  for (const int id : ids) {
    if (id != last + 1) {
      INFO("after id " << last << " came id " << id);
      CHECK(id % 2 == 1);
      CHECK(id <= last + 1);      // nothing skipped
      CHECK(id >= last - 1);      // one transaction (two ids) again at most
      ++restarts;
    }
    seen.insert(id);
    last = id;
  }
  CHECK(restarts < sessions);
  CHECK(static_cast<int>(seen.size()) == 2 * transactions);
  CHECK((seen.empty() || *seen.rbegin() == 2 * transactions));
}

// Writes transactions one after another on a thread of its own until stop().
class Writer {
 public:
  explicit Writer(const Stream& stream)
      : thread_([this, &stream] {
          while (writing_) {
            std::lock_guard lock(server_up);
            stream.write_transaction(++written_);
          }
        }) {}
  ~Writer() { stop(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Returns how many transactions it wrote.
  int stop() {
    writing_ = false;
    if (thread_.joinable()) thread_.join();
    return written_;
  }

  std::mutex server_up;  // held while it writes: hold it to take the server away

 private:
  std::atomic<bool> writing_{true};
  std::atomic<int> written_{0};
  std::thread thread_;  // last: started once the rest exists
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string binlog_dump_thread() {
  std::string id;
  testing::wait_until("the pub's binlog dump shows on the server", 20s, [&] {
    id = first_line(mariadb().query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'"));
    return !id.empty();
  });
  return id;
}

// SIGSTOPs the server; SIGCONT when destroyed, whatever the test did.
class StoppedServer {
 public:
  StoppedServer() {
    std::ifstream pid_file(first_line(mariadb().query("SELECT @@pid_file")));
    pid_file >> pid_;
    REQUIRE(pid_ > 0);
    REQUIRE(::kill(pid_, SIGSTOP) == 0);
  }
  ~StoppedServer() { ::kill(pid_, SIGCONT); }
  StoppedServer(const StoppedServer&) = delete;
  StoppedServer& operator=(const StoppedServer&) = delete;

 private:
  pid_t pid_ = 0;
};

}  // namespace

TEST_CASE("the server kills the binlog dump or restarts under a writer: the pub reopens it, one transaction again at most") {
  Stream stream("killed_dump");
  testing::Recording recording;
  auto pub = stream.start(recording);
  Writer writer(stream);
  // Three KILLs of the dump thread, then a restart of the server.
  constexpr int kInterruptions = 4;
  for (int interruption = 0; interruption < kInterruptions; ++interruption) {
    const std::size_t seen = committed_ids(recording).size();
    testing::wait_until("more changes arrive", 20s, [&] {
      pub->rethrow_if_failed();
      return committed_ids(recording).size() > seen + 4;
    });
    if (interruption + 1 < kInterruptions) {
      mariadb().execute("KILL " + binlog_dump_thread());
    } else {
      std::lock_guard paused(writer.server_up);
      mariadb().stop();
      mariadb().start();
    }
    testing::wait_until("the pub opens the stream again", 30s, [&] {
      pub->rethrow_if_failed();
      return stream.sessions >= interruption + 2;
    });
  }
  const int written = writer.stop();
  testing::wait_until("every written transaction arrives", 20s, [&] {
    pub->rethrow_if_failed();
    const auto ids = committed_ids(recording);
    return !ids.empty() && ids.back() == 2 * written;
  });
  pub->stop();
  CHECK(stream.sessions >= kInterruptions + 1);
  check_delivery(committed_ids(recording), written, stream.sessions);
}

TEST_CASE("a server that stops answering is taken for dead after four silent heartbeats, and the stream goes on") {
  Stream stream("silent_server");
  testing::Recording recording;
  auto pub = stream.start(recording);
  stream.write_transaction(1);
  REQUIRE(recording.wait_for_changes(2, 20s));
  // Idle longer than the read timeout: the heartbeats keep the session.
  std::this_thread::sleep_for(3s);
  CHECK(stream.sessions == 1);
  {
    // Silent for twice the read timeout: taken for dead meanwhile.
    StoppedServer stopped;
    std::this_thread::sleep_for(4s);
  }
  stream.write_transaction(2);
  testing::wait_until("the second transaction arrives", 30s, [&] {
    pub->rethrow_if_failed();
    const auto ids = committed_ids(recording);
    return !ids.empty() && ids.back() == 4;
  });
  pub->stop();
  CHECK(stream.sessions == 2);
  check_delivery(committed_ids(recording), 2, stream.sessions);
}

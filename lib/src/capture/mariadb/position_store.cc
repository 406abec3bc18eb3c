#include "capture/mariadb/position_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <pqxx/nontransaction>

#include "pg/session.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

BinlogPosition binlog_position(const std::string& json_text, const std::string& where) {
  TransactionPosition position;
  try {
    position = parse_transaction_position(json_text);
  } catch (const InvalidArgument&) {
    // E.g. a state file left empty by a power loss: never a silent restart.
    throw Error(where + " holds no position (" + (json_text.empty() ? "it is empty" : json_text.substr(0, 80)) +
                "): remove it and choose a start with --from");
  }
  const auto* binlog = std::get_if<BinlogPosition>(&position);
  if (!binlog) throw Error(where + " holds a position of another source: " + json_text.substr(0, 80));
  return *binlog;
}

// A file descriptor, closed with the object.
class OpenFile {
 public:
  explicit OpenFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_WRONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error("cannot open state file " + path.string() + ": " + std::strerror(errno));
  }
  ~OpenFile() { ::close(fd_); }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  // One write at the start of the file.
  bool overwrite(const std::string& text) {
    return ::pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
  }

 private:
  int fd_;
};

// The file is created by rename (temp file first), then overwritten in place
// by one write of at most a page, padded to the length it had: a kill falls
// before or after such a write, never inside it. Renaming over it for every
// transaction would cost a flush of its data each time (ext4 does that for a
// file replaced by rename: about a millisecond here).
class StateFile : public PositionStore {
 public:
  explicit StateFile(std::filesystem::path path) : path_(std::move(path)) {}

  std::optional<BinlogPosition> load() override {
    std::ifstream in(path_);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return binlog_position(text.str(), "state file " + path_.string());
  }

  void save(const BinlogPosition& position) override {
    std::string text = to_json_text(TransactionPosition{position});
    if (text.size() + 1 < length_) text.append(length_ - 1 - text.size(), ' ');
    text += '\n';
    if (!file_ || text.size() > kPageBytes) {
      replace(text);
      file_ = std::make_unique<OpenFile>(path_);
    } else if (!file_->overwrite(text)) {
      throw Error("cannot write state file " + path_.string() + ": " + std::strerror(errno));
    }
    length_ = text.size();
  }

 private:
  static constexpr std::size_t kPageBytes = 4096;

  void replace(const std::string& text) {
    const auto temp = std::filesystem::path(path_.string() + ".tmp");
    {
      std::ofstream out(temp, std::ios::trunc);
      out << text;
      out.flush();
      if (!out) throw Error("cannot write state file " + temp.string());
    }
    std::error_code error;
    std::filesystem::rename(temp, path_, error);
    if (error) throw Error("cannot replace state file " + path_.string() + ": " + error.message());
  }

  std::filesystem::path path_;
  std::unique_ptr<OpenFile> file_;  // the file as renamed into place
  std::size_t length_ = 0;          // what the last save wrote
};

class PostgresTable : public PositionStore {
 public:
  PostgresTable(const std::string& dsn, std::string stream)
      : session_(ClientOptions{.dsn = dsn, .application_name = "meowmx pub"}), stream_(std::move(stream)) {
    const bool ready = session_.guarded("checking meowmx.capture_source_positions", [&] {
      pqxx::nontransaction tx(session_.connection());
      // A position is written after every transaction: without waiting for
      // the server's WAL flush. A pub killed still has it (the server does);
      // a crash of the server may forget the last ones, so the stream
      // repeats those transactions, never skips any.
      tx.exec0("SET synchronous_commit = off");
      return !tx.exec1("SELECT to_regclass('meowmx.capture_source_positions')")[0].is_null();
    });
    if (!ready) {
      throw Error("the PostgreSQL database has no meowmx.capture_source_positions: run `meowmx setup` there, "
                  "or keep the position in a --state-file");
    }
    // Written after every transaction: parsed and planned once.
    session_.prepare(kSave,
                     "INSERT INTO meowmx.capture_source_positions (stream, position) VALUES ($1, $2) "
                     "ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position, updated_at = now()");
  }

  std::optional<BinlogPosition> load() override {
    const auto text = session_.guarded("reading the stream's position", [&]() -> std::optional<std::string> {
      pqxx::nontransaction tx(session_.connection());
      const auto rows =
          tx.exec_params("SELECT position FROM meowmx.capture_source_positions WHERE stream = $1", stream_);
      if (rows.empty()) return std::nullopt;
      return rows[0][0].as<std::string>();
    });
    if (!text) return std::nullopt;
    return binlog_position(*text, "meowmx.capture_source_positions");
  }

  void save(const BinlogPosition& position) override {
    session_.guarded("saving the stream's position", [&] {
      pqxx::nontransaction tx(session_.connection());
      tx.exec_prepared(kSave, stream_, to_json_text(TransactionPosition{position}));
    });
  }

 private:
  static constexpr const char* kSave = "meowmx_save_source_position";

  Session session_;
  std::string stream_;
};

}  // namespace

std::unique_ptr<PositionStore> open_position_store(const MysqlSource& options) {
  if (!options.state_file.empty()) return std::make_unique<StateFile>(options.state_file);
  if (!options.position_dsn.empty()) return std::make_unique<PostgresTable>(options.position_dsn, options.slot);
  throw InvalidArgument(
      "the mysql source keeps its position in PostgreSQL (--dsn) or in a --state-file: give one of them");
}

}  // namespace meowmx::internal

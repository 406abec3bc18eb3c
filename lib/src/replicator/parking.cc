#include "replicator/parking.h"

#include <cstdio>
#include <mutex>
#include <optional>

#include <unistd.h>

#include <pqxx/pqxx>

#include "common/json_string.h"
#include "common/logger.h"
#include "meowmx/error.h"
#include "pg/connection_errors.h"

namespace meowmx::internal {
namespace {

class FileParking : public Parking {
 public:
  FileParking(const std::filesystem::path& path, std::string input) : path_(path), input_(std::move(input)) {
    file_ = std::fopen(path.c_str(), "a");
    if (!file_) throw InvalidArgument("cannot open the parked-pks file " + path.string());
  }
  ~FileParking() override { std::fclose(file_); }

  void park(const std::string& topic, const PkEntry& entry) override {
    std::string line = "{";
    auto field = [&line](const char* name, std::string_view value) {
      if (line.size() > 1) line += ',';
      append_json_string(line, name);
      line += ':';
      append_json_string(line, value);
    };
    field("input", input_);
    field("topic", topic);
    field("event", entry.event);
    field("pk", entry.pk);
    field("position", entry.position);
    line += ",\"attempts\":" + std::to_string(entry.attempts);
    field("error", entry.last_error);
    line += "}\n";
    std::lock_guard lock(mutex_);
    if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) {
      throw Error("cannot write the parked-pks file " + path_.string());
    }
  }

 private:
  std::filesystem::path path_;
  std::string input_;
  std::FILE* file_ = nullptr;
  std::mutex mutex_;
};

constexpr const char* kParkSql =
    "INSERT INTO meowmx.replicator_parked (input, topic, event, pk, position, attempts, error) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";

class TableParking : public Parking {
 public:
  TableParking(std::string dsn, std::string input) : dsn_(std::move(dsn)), input_(std::move(input)) {
    guarded("connecting to park pks", [&] {
      connect();
      pqxx::nontransaction tx(*connection_);
      if (tx.exec1("SELECT to_regclass('meowmx.replicator_parked')")[0].is_null()) {
        throw InvalidArgument(
            "meowmx.replicator_parked is missing in the input's database: run `meowmx setup` there, "
            "or park in a file (--parked-file)");
      }
    });
  }

  void park(const std::string& topic, const PkEntry& entry) override {
    std::lock_guard lock(mutex_);
    guarded("parking a pk", [&] {
      // One reconnection: the server may have restarted since the last pk.
      for (int attempt = 0;; ++attempt) {
        try {
          if (!connection_ || !connection_->is_open()) connect();
          pqxx::work tx(*connection_);
          tx.exec_params0(kParkSql, input_, topic, entry.event, entry.pk, entry.position, entry.attempts,
                          entry.last_error);
          tx.commit();
          return;
        } catch (const pqxx::broken_connection&) {
          connection_.reset();
          if (attempt > 0) throw;
        }
      }
    });
  }

 private:
  void connect() { connection_.emplace(dsn_); }
  template <typename Fn>
  void guarded(std::string_view context, Fn&& fn) {
    try {
      fn();
    } catch (...) {
      rethrow_as_meowmx_error(context, dsn_);
    }
  }

  std::string dsn_;
  std::string input_;
  std::optional<pqxx::connection> connection_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Parking> make_file_parking(const std::filesystem::path& path, const std::string& input) {
  return std::make_unique<FileParking>(path, input);
}

std::unique_ptr<Parking> make_table_parking(const std::string& dsn, const std::string& input) {
  return std::make_unique<TableParking>(dsn, input);
}

}  // namespace meowmx::internal

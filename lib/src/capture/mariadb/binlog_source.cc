#include "capture/mariadb/binlog_source.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "capture/mariadb/binlog_reader.h"
#include "capture/mariadb/binlog_stream.h"
#include "capture/mariadb/mysql_catalog.h"
#include "capture/mariadb/mysql_gtid.h"
#include "capture/mariadb/position_store.h"
#include "capture/mariadb/rows_event.h"
#include "capture/mariadb/table_map.h"
#include "common/logger.h"
#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::uint32_t kLowestDefaultServerId = 1000;

std::string commit_time_text(std::uint32_t seconds) {
  const std::time_t time = seconds;
  std::tm utc{};
  gmtime_r(&time, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000000Z", &utc);
  return text;
}

bool same_statement(std::string_view statement, std::string_view keyword) {
  if (statement.size() != keyword.size()) return false;
  return std::equal(statement.begin(), statement.end(), keyword.begin(),
                    [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
}

// "file:pos", "gtid:...", "beginning" or "now": where a stream without a
// kept position starts.
DumpStart parse_from(const std::string& from, MysqlConnection& control, const std::vector<BinaryLog>& logs) {
  if (from == "beginning") {
    if (logs.empty()) throw Error("the MySQL server lists no binary logs");
    return {logs.front().name, 4, ""};
  }
  if (from == "now") {
    const auto now = current_position(control);
    return {now.file, now.pos, ""};
  }
  if (from.starts_with("gtid:")) {
    if (from.size() == 5) throw InvalidArgument("--from gtid: needs a GTID list, e.g. gtid:0-1-42");
    if (from.find(':', 5) != std::string::npos || !is_mariadb(control)) {
      throw InvalidArgument("--from gtid: takes a MariaDB GTID list (gtid:0-1-42) on a MariaDB server; a start at a "
                            "MySQL GTID is not supported: use --from FILE:POS, beginning or now");
    }
    return {"", 4, from.substr(5)};
  }
  const auto colon = from.rfind(':');
  std::uint64_t position = 0;
  if (colon != std::string::npos && colon > 0) {
    const char* first = from.data() + colon + 1;
    const char* last = from.data() + from.size();
    if (std::from_chars(first, last, position).ptr == last && position >= 4) {
      return {from.substr(0, colon), position, ""};
    }
  }
  throw InvalidArgument("bad --from '" + from.substr(0, 80) +
                        "': expected beginning, now, file:pos (mariadb-bin.000002:1234) or gtid:<domain-server-seq>");
}

void require_on_server(const DumpStart& start, const std::vector<BinaryLog>& logs, bool kept) {
  if (!start.gtid.empty()) return;
  const bool present =
      std::any_of(logs.begin(), logs.end(), [&](const BinaryLog& log) { return log.name == start.file; });
  if (present) return;
  const std::string oldest = logs.empty() ? "none" : logs.front().name;
  if (!kept) throw InvalidArgument("binlog " + start.file + " is not on the server (oldest: " + oldest + ")");
  throw Error("binlog " + start.file + " (position " + std::to_string(start.position) +
              "), where this stream stopped, has been purged from the server (oldest now: " + oldest +
              "): every change written after that position up to the start of " + oldest +
              " is lost to this stream. Check what it missed, then remove its kept position and start again "
              "with --from beginning or --from now");
}

// The stream's position in its store, only ever forward: the pipeline's
// watermark after each transaction (from the dispatching thread, before the
// next one reaches a sink) and the idle positions the source thread hands it.
// Shared with the pipeline, which may still deliver what was queued after a
// session's source has gone.
class PositionKeeper {
 public:
  PositionKeeper(std::unique_ptr<PositionStore> store, std::optional<BinlogPosition> kept)
      : store_(std::move(store)), kept_(std::move(kept)) {}

  void keep(const BinlogPosition& position) {
    std::lock_guard lock(mutex_);
    if (kept_ && compare(TransactionPosition{position}, TransactionPosition{*kept_}) <= 0) return;
    store_->save(position);
    kept_ = position;
  }

 private:
  std::unique_ptr<PositionStore> store_;
  std::mutex mutex_;
  std::optional<BinlogPosition> kept_;
};

class Session {
 public:
  Session(Pipeline& pipeline, MysqlConnection& control, PositionKeeper& keeper, BinlogPosition start)
      : pipeline_(pipeline),
        control_(control),
        keeper_(keeper),
        flavour_(is_mariadb(control) ? BinlogFlavour::kMariaDb : BinlogFlavour::kMysql),
        at_(std::move(start)) {}

  void handle(const BinlogEvent& event) {
    switch (event.type) {
      case ROTATE_EVENT: {
        BinlogReader rotate(event.body);
        at_.pos = rotate.uint_le(8);
        at_.file = std::string(rotate.take(rotate.remaining()));
        break;
      }
      case GTID_EVENT: {
        const auto& gtid = event.parsed->event.gtid;
        start_group(event,
                    std::to_string(gtid.domain_id) + "-" + std::to_string(event.server_id) + "-" +
                        std::to_string(gtid.sequence_nr),
                    gtid.sequence_nr, (gtid.flags & FL_STANDALONE) != 0);
        break;
      }
      case GTID_LOG_EVENT:
      case ANONYMOUS_GTID_LOG_EVENT: {
        // MySQL's do not say whether a BEGIN follows: a statement of its own until one does.
        auto gtid = parse_mysql_gtid(event.type, event.body);
        start_group(event, std::move(gtid.gtid), gtid.gno, true);
        break;
      }
      case QUERY_EVENT:
      case QUERY_COMPRESSED_EVENT:
        query(event);
        break;
      case XID_EVENT:
        end_group(event);
        break;
      case TABLE_MAP_EVENT:
        table_map(event);
        break;
      default:
        if (is_rows_event(event.type)) rows(event);
        break;
    }
  }

  bool in_group() const { return in_group_; }
  bool in_transaction() const { return began_; }

  // Keeps the position after the last whole group once every sink has
  // everything before it (nothing outstanding in the pipeline).
  void keep_idle_position() {
    if (!in_group_ && at_.pos > 0 && pipeline_.idle()) keeper_.keep(at_);
  }

  void abort_transaction() {
    if (began_) pipeline_.abort();
    began_ = false;
  }

  const BinlogPosition& at() const { return at_; }

 private:
  struct Mapped {
    TableMap map;
    const CapturedTable* table = nullptr;
    std::vector<std::size_t> key;  // the key's column indexes in the map, in key order
  };

  void query(const BinlogEvent& event) {
    const auto& query = event.parsed->event.query;
    const std::string_view statement(query.statement.str, query.statement.length);
    if (same_statement(statement, "BEGIN")) {
      standalone_ = false;
      if (!in_group_) {
        in_group_ = true;
        group_time_ = event.timestamp;
        begin_group(event);
      }
    } else if (same_statement(statement, "COMMIT")) {
      end_group(event);
    } else if (same_statement(statement, "ROLLBACK")) {
      abort_transaction();
      end_group(event);
    } else if (!in_group_ || standalone_) {
      // DDL: a group of its own. Each later TABLE_MAP describes the new shape.
      end_group(event);
    }
  }

  void start_group(const BinlogEvent& event, std::string gtid, std::uint64_t sequence, bool standalone) {
    in_group_ = true;
    standalone_ = standalone;
    group_gtid_ = std::move(gtid);
    group_sequence_ = sequence;
    group_time_ = event.timestamp;
    begin_group(event);
  }

  // A transaction's position until its commit: just past its first event,
  // after the transaction before it and before its own end, so the pipeline
  // orders it rightly against the positions sinks already have.
  void begin_group(const BinlogEvent& event) {
    group_start_ = at_;
    group_start_.gtid = group_gtid_;
    group_start_.pos = event.next_position > at_.pos ? event.next_position : at_.pos + 1;
  }

  void end_group(const BinlogEvent& event) {
    if (event.next_position > 0) at_.pos = event.next_position;
    if (!group_gtid_.empty()) at_.gtid = group_gtid_;
    if (began_) pipeline_.commit(at_);
    began_ = false;
    in_group_ = false;
    standalone_ = false;
    group_gtid_.clear();
    group_sequence_ = 0;
    group_time_ = 0;
  }

  // The key's column indexes: the map's primary key, else the captured
  // table's key columns found by name. Once per table map, not per change.
  static std::vector<std::size_t> key_columns(const TableMap& map, const CapturedTable& table) {
    if (!map.primary_key.empty()) return map.primary_key;
    std::vector<std::size_t> key;
    for (const auto& name : table.key) {
      for (std::size_t i = 0; i < map.columns.size(); ++i) {
        if (map.columns[i].name == name) key.push_back(i);
      }
    }
    return key;
  }

  void table_map(const BinlogEvent& event) {
    TableMap map = parse_table_map(event.body, flavour_);
    const CapturedTable* table = pipeline_.table(map.database, map.table);
    if (!table) return;
    if (!map.has_column_names) {
      throw Error("the table map of " + map.database + "." + map.table +
                  " has no column names: the server needs binlog_row_metadata=FULL");
    }
    auto& types = ambiguous_types_[table];
    const bool unknown = std::any_of(map.columns.begin(), map.columns.end(), [&](const BinlogColumn& column) {
      return column.type == MYSQL_TYPE_STRING && column.collation == 63 && !types.contains(column.name);
    });
    if (unknown && !checked_types_.contains(map.table_id)) types = ambiguous_column_types(control_, table->name);
    checked_types_[map.table_id] = true;
    for (auto& column : map.columns) {
      if (const auto found = types.find(column.name); found != types.end()) column.sql_type = found->second;
    }
    auto key = key_columns(map, *table);
    maps_[map.table_id] = Mapped{std::move(map), table, std::move(key)};
  }

  void rows(const BinlogEvent& event) {
    const bool compressed = event.type >= WRITE_ROWS_COMPRESSED_EVENT_V1 && event.type <= DELETE_ROWS_COMPRESSED_EVENT_V1;
    const RowsEvent rows = compressed ? rows_event_from_library(*event.parsed) : parse_rows_event(event.type, event.body);
    const auto found = maps_.find(rows.table_id);
    if (found == maps_.end()) return;  // not a captured table
    const Mapped& mapped = found->second;
    const Interest interest = pipeline_.interest(*mapped.table);
    if (interest == Interest::kNone) return;
    decode_rows(rows, mapped.map, [&](RowImage* before, RowImage* after) {
      change(mapped, rows.action, interest, before, after);
    });
  }

  // Moves the image's values into a row: each is decoded once, never copied.
  Row row_of(const TableMap& map, RowImage& image) const {
    Row row;
    row.reserve(image.size());
    for (std::size_t i = 0; i < image.size(); ++i) {
      if (image[i]) row.emplace_back(map.columns[i].name, std::move(*image[i]));
    }
    return row;
  }

  void change(const Mapped& mapped, ChangeAction action, Interest interest, RowImage* before, RowImage* after) {
    if (!began_) {
      pipeline_.begin(group_start_, group_sequence_, commit_time_text(group_time_));
      began_ = true;
      index_ = 0;
    }
    ChangeEvent change;
    change.table = mapped.table;
    change.action = action;
    change.index = index_++;
    const auto& key = mapped.key;
    // An update's key is the new one when the after image holds it.
    const RowImage* keyed = after && std::all_of(key.begin(), key.end(), [&](std::size_t i) { return (*after)[i].has_value(); })
                                ? after
                                : before;
    change.key.reserve(key.size());
    for (const auto i : key) change.key.push_back((*keyed)[i].value_or(Value{}));
    if (interest == Interest::kRows) {
      if (action == ChangeAction::kUpdate) {
        change.before = row_of(mapped.map, *before);
        change.after = row_of(mapped.map, *after);
      } else {
        change.values = row_of(mapped.map, before ? *before : *after);
      }
    }
    pipeline_.change(std::move(change));
  }

  Pipeline& pipeline_;
  MysqlConnection& control_;
  PositionKeeper& keeper_;
  const BinlogFlavour flavour_;
  BinlogPosition at_;  // after the last whole group (the current file's offset)
  BinlogPosition group_start_;
  std::unordered_map<std::uint64_t, Mapped> maps_;
  std::map<const CapturedTable*, std::map<std::string, std::string>> ambiguous_types_;
  std::unordered_map<std::uint64_t, bool> checked_types_;
  bool in_group_ = false;
  bool standalone_ = false;
  bool began_ = false;
  std::string group_gtid_;
  std::uint64_t group_sequence_ = 0;
  std::uint32_t group_time_ = 0;
  std::int64_t index_ = 0;
};

}  // namespace

std::uint32_t default_server_id(std::string_view slot) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a
  for (const char c : slot) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  constexpr std::uint64_t kRange = 0xFFFFFFFFULL - kLowestDefaultServerId + 1;
  return static_cast<std::uint32_t>(kLowestDefaultServerId + hash % kRange);
}

BinlogSource::BinlogSource(MysqlSource options) : options_(std::move(options)), dsn_(parse_mysql_dsn(options_.dsn)) {
  tables_ = parse_mysql_table_names(options_.tables, dsn_.database);
  if (options_.slot.empty()) throw InvalidArgument("the stream needs a name (--slot)");
  if (options_.heartbeat < std::chrono::milliseconds(100)) throw InvalidArgument("heartbeat must be at least 100 ms");
  if (options_.server_id == 0) options_.server_id = default_server_id(options_.slot);
  if (options_.state_file.empty() && options_.position_dsn.empty()) open_position_store(options_);  // throws
  if (!options_.from.empty() && options_.from != "beginning" && options_.from != "now" &&
      !options_.from.starts_with("gtid:") && options_.from.find(':') == std::string::npos) {
    throw InvalidArgument("bad --from '" + options_.from.substr(0, 80) +
                          "': expected beginning, now, file:pos or gtid:<domain-server-seq>");
  }
}

void BinlogSource::run(Pipeline& pipeline, const Waker& stop) {
  const auto read_timeout =
      std::chrono::seconds(std::max<std::int64_t>(2, (4 * options_.heartbeat.count() + 999) / 1000));
  MysqlConnection control(dsn_, read_timeout);
  require_row_binlog(control);
  const auto tables = resolve_tables(control, tables_);
  const std::string server = control.scalar("SELECT @@GLOBAL.server_id").value_or("0");
  pipeline.open({"mysql:" + server + "/" + options_.slot, tables});

  auto store = open_position_store(options_);
  const auto kept = store->load();
  const auto logs = binary_logs(control);
  const DumpStart start = kept ? DumpStart{kept->file, kept->pos, ""} : parse_from(options_.from, control, logs);
  require_on_server(start, logs, kept.has_value());

  const std::string replica_host = "meowmx/" + options_.slot;
  if (const auto other = replica_host_of(control, options_.server_id); !other.empty() && other != replica_host) {
    throw Error("server id " + std::to_string(options_.server_id) + " is in use by another replica (" + other +
                "): give this stream a --server-id of its own");
  }
  MysqlConnection dump(dsn_, read_timeout);
  BinlogStream stream(dump, start,
                      {.server_id = options_.server_id,
                       .non_blocking = options_.once,
                       .heartbeat = options_.heartbeat,
                       .replica_host = replica_host});
  streaming_ = true;
  logger().info("streaming the binlog of {} from {}", dsn_.describe(),
                start.gtid.empty() ? start.file + ":" + std::to_string(start.position) : "gtid " + start.gtid);

  auto keeper = std::make_shared<PositionKeeper>(std::move(store), kept);
  pipeline.keep_positions(
      [keeper](const TransactionPosition& position) { keeper->keep(std::get<BinlogPosition>(position)); });
  Session session(pipeline, control, *keeper,
                  kept.value_or(BinlogPosition{start.file, start.gtid.empty() ? start.position : 0, ""}));
  BinlogEvent event;
  try {
    // Stop only between transactions, so a sink never has half of one.
    while (session.in_group() || !stop.woken()) {
      if (!stream.next(event)) break;
      session.handle(event);
      if (!session.in_group() && event.type == HEARTBEAT_LOG_EVENT) {
        pipeline.rethrow_failure();
        session.keep_idle_position();
      }
    }
  } catch (const ConnectionError&) {
    session.abort_transaction();
    throw;
  }
  session.abort_transaction();  // an unfinished group at the end of a --once dump
  pipeline.drain();
  session.keep_idle_position();
  logger().info("stopped streaming the binlog at {}:{}", session.at().file, session.at().pos);
}

}  // namespace meowmx::internal

#include "capture/mariadb/binlog_stream.h"

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::size_t kEventHeaderSize = 19;
constexpr std::size_t kChecksumSize = 4;

}  // namespace

BinlogStream::BinlogStream(MysqlConnection& connection, const DumpStart& start, const DumpOptions& options)
    : connection_(connection), non_blocking_(options.non_blocking) {
  const auto heartbeat_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options.heartbeat).count();
  // Every event the server sends then ends in a CRC32, artificial ones too.
  checksums_ = connection.scalar("SELECT @@global.binlog_checksum").value_or("NONE") != "NONE";
  connection.execute("SET @master_binlog_checksum = @@global.binlog_checksum");
  connection.execute("SET @mariadb_slave_capability = 4");
  connection.execute("SET @master_heartbeat_period = " + std::to_string(heartbeat_ns));
  if (!start.gtid.empty()) {
    connection.execute("SET @slave_connect_state = " + connection.quote(start.gtid));
    connection.execute("SET @slave_gtid_strict_mode = 1");
  }
  rpl_ = mariadb_rpl_init(connection.handle());
  if (!rpl_) connection.fail("cannot start a binlog dump");
  const std::string file = start.gtid.empty() ? start.file : "";
  const auto position = static_cast<unsigned long>(start.gtid.empty() ? start.position : 4);
  const std::uint32_t flags = options.non_blocking ? MARIADB_RPL_BINLOG_DUMP_NON_BLOCK : 0;
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, file.c_str(), file.size());
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, position);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_SERVER_ID, options.server_id);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FLAGS, flags);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_VERIFY_CHECKSUM, 1u);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_UNCOMPRESS, 1u);
  if (!options.replica_host.empty()) {
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_HOST, options.replica_host.c_str());
    mariadb_rpl_optionsv(rpl_, MARIADB_RPL_PORT, 0u);
  }
  if (mariadb_rpl_open(rpl_) != 0) {
    const std::string message = mariadb_rpl_error(rpl_);
    mariadb_rpl_close(rpl_);
    rpl_ = nullptr;
    throw ConnectionError("cannot open the binlog dump on " + connection.dsn().describe() + ": " + message);
  }
}

BinlogStream::~BinlogStream() {
  if (event_) mariadb_free_rpl_event(event_);
  if (rpl_) mariadb_rpl_close(rpl_);
}

bool BinlogStream::next(BinlogEvent& event) {
  MARIADB_RPL_EVENT* fetched = mariadb_rpl_fetch(rpl_, event_);
  if (!fetched) {
    event_ = nullptr;  // freed by the library on every failure
    const unsigned rpl_error = mariadb_rpl_errno(rpl_);
    if (rpl_error != 0) throw Error(std::string("binlog: ") + mariadb_rpl_error(rpl_));
    if (mysql_errno(connection_.handle()) != 0) {
      // 1236: the server cannot send from here (binlog purged, server id in use, ...).
      if (mysql_errno(connection_.handle()) == 1236) {
        throw Error(std::string("the server refused the binlog dump: ") + mysql_error(connection_.handle()));
      }
      connection_.fail("reading the binlog failed");
    }
    // The end a non-blocking dump asked for; a blocking one ends only when
    // the server goes (a shutdown sends EOF; a KILL of the dump thread just
    // closes the connection): open it again.
    if (!non_blocking_) throw ConnectionError("the server ended the binlog dump on " + connection_.dsn().describe());
    return false;
  }
  event_ = fetched;
  event.type = fetched->event_type;
  event.timestamp = fetched->timestamp;
  event.next_position = fetched->next_event_pos;
  event.flags = fetched->flags;
  event.server_id = fetched->server_id;
  event.parsed = fetched;
  const std::size_t header_end = fetched->raw_data_ofs + kEventHeaderSize;
  const std::size_t checksum = checksums_ ? kChecksumSize : 0;
  const std::size_t end = fetched->raw_data_ofs + fetched->event_length;
  if (end > fetched->raw_data_size || header_end + checksum > end) throw Error("binlog: a truncated event");
  event.body = std::string_view(reinterpret_cast<const char*>(fetched->raw_data) + header_end,
                                end - checksum - header_end);
  return true;
}

}  // namespace meowmx::internal

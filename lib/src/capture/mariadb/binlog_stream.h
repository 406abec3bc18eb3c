// BinlogStream: the binlog dump of one replica connection, through
// libmariadb's mariadb_rpl_* API, which frames the events, verifies their
// CRC32 checksums and uncompresses compressed ones. Row images are not
// decoded here (see rows_event.h): only the events' bytes are handed on.
//
// Before the dump it sends what a replica client must: the checksum
// capability, the MariaDB replica capability, the heartbeat period (so an
// idle server still sends something) and, for a GTID start, the connect state.
#ifndef MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_STREAM_H_
#define MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_STREAM_H_

#include <mysql.h>
#include <mariadb_rpl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "capture/mariadb/mysql_connection.h"

namespace meowmx::internal {

struct DumpStart {
  std::string file;  // with `position`; ignored when `gtid` is set
  std::uint64_t position = 4;
  std::string gtid;  // MariaDB GTID list ("0-1-42"): start after it
};

struct DumpOptions {
  std::uint32_t server_id = 0;
  // Stop at the end of the binlog (the server sends EOF) instead of waiting.
  bool non_blocking = false;
  std::chrono::milliseconds heartbeat{1000};
  // The name the replica registers under (SHOW SLAVE HOSTS).
  std::string replica_host;
};

// One event: its header's fields, and its body (after the 19-byte header,
// without the checksum). For compressed rows events the body is the
// library's: see `parsed`.
struct BinlogEvent {
  mariadb_rpl_event type = UNKNOWN_EVENT;
  std::uint32_t timestamp = 0;
  std::uint32_t next_position = 0;  // 0 inside a transaction on newer servers
  std::uint16_t flags = 0;
  std::uint32_t server_id = 0;
  std::string_view body;
  const MARIADB_RPL_EVENT* parsed = nullptr;
};

class BinlogStream {
 public:
  // Opens the dump on `connection`, which it then owns the use of.
  BinlogStream(MysqlConnection& connection, const DumpStart& start, const DumpOptions& options);
  ~BinlogStream();
  BinlogStream(const BinlogStream&) = delete;
  BinlogStream& operator=(const BinlogStream&) = delete;

  // The next event (valid until the next call); false at the end of a
  // non-blocking dump. Throws Error for what the server refuses (a purged
  // binlog, a server id in use), ConnectionError when the connection breaks,
  // the server ends a blocking dump (KILL of its thread, a shutdown) or stays
  // silent past the connection's read timeout.
  bool next(BinlogEvent& event);

 private:
  MysqlConnection& connection_;
  MARIADB_RPL* rpl_ = nullptr;
  MARIADB_RPL_EVENT* event_ = nullptr;
  bool checksums_ = false;
  bool non_blocking_ = false;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_MARIADB_BINLOG_STREAM_H_

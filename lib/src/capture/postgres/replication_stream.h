// ReplicationStream: a libpq connection in replication mode streaming one
// logical slot (START_REPLICATION ... LOGICAL) over COPY BOTH. libpqxx cannot
// speak this protocol, so this is plain libpq behind RAII.
//
// Messages from the server are CopyData frames: 'w' XLogData (a pgoutput
// message with its WAL position) and 'k' keepalives; the client sends 'r'
// standby status updates carrying the position it has flushed.
#ifndef MEOWMX_SRC_CAPTURE_POSTGRES_REPLICATION_STREAM_H_
#define MEOWMX_SRC_CAPTURE_POSTGRES_REPLICATION_STREAM_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <libpq-fe.h>

#include "capture/postgres/lsn.h"
#include "common/waker.h"

namespace meowmx::internal {

class ReplicationStream {
 public:
  // Connects with replication=database; throws ConnectionError when it cannot.
  explicit ReplicationStream(std::string dsn);

  // Streams the slot from its confirmed position with pgoutput protocol 1.
  // Throws RetryLater while another process holds the slot, Error when the
  // server refuses (slot gone or invalidated, publication missing).
  void start(const std::string& slot, const std::string& publication);

  // The next CopyData frame, waiting up to `timeout` or until one of the
  // wakers (null ones are ignored) fires; empty when none came. Valid until
  // the next call. Throws ConnectionError when the connection breaks, Error
  // when the server ends the stream with an error.
  std::string_view read(std::chrono::milliseconds timeout, std::initializer_list<const Waker*> wakers);

  // Reports `flushed` as written, flushed and applied; it becomes the slot's
  // confirmed position, from which the next run resumes.
  void send_status(Lsn flushed, bool reply_requested = false);

  // Ends the stream in an orderly way, so the server releases the slot at
  // once, and waits up to `timeout` for the server to end it too: it answers
  // only after reading every status sent before, so the last one has become
  // the slot's confirmed position. Frames that come meanwhile are dropped
  // (they come again at the next start). False when the server did not
  // answer in time or the connection broke.
  bool finish(std::chrono::milliseconds timeout);

 private:
  struct ConnectionCloser {
    void operator()(PGconn* connection) const { PQfinish(connection); }
  };
  struct BufferFreer {
    void operator()(char* buffer) const { PQfreemem(buffer); }
  };

  [[noreturn]] void fail(std::string_view context);
  // Waits until the socket is readable and takes in what came; false at
  // `deadline` or when the connection broke.
  bool take_input(std::chrono::steady_clock::time_point deadline);

  std::string dsn_;
  std::unique_ptr<PGconn, ConnectionCloser> connection_;
  std::unique_ptr<char, BufferFreer> buffer_;  // the frame read() returned last
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_CAPTURE_POSTGRES_REPLICATION_STREAM_H_

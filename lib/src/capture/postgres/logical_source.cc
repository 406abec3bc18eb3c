#include "capture/postgres/logical_source.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "common/logger.h"
#include "capture/postgres/catalog.h"
#include "capture/postgres/pgoutput.h"
#include "capture/postgres/publication.h"
#include "capture/postgres/replication_stream.h"
#include "capture/postgres/wire.h"

namespace meowmx::internal {

LogicalSource::LogicalSource(const PubOptions& options, std::vector<TableName> tables, const Waker& waker)
    : options_(options), tables_(std::move(tables)), waker_(waker) {}

void LogicalSource::run(Pipeline& pipeline) {
  using Clock = std::chrono::steady_clock;
  Catalog catalog(options_.dsn);
  catalog.require_logical_decoding();
  const auto tables = catalog.resolve(tables_, true);
  ensure_publication(catalog, options_.publication, tables);
  Lsn acknowledged = ensure_slot(catalog, options_.slot, options_.publication);
  // --once: everything committed before this point, and nothing more is awaited.
  const Lsn end = options_.once ? catalog.mark_wal_end() : std::numeric_limits<Lsn>::max();

  ReplicationStream stream(options_.dsn);
  stream.start(options_.slot, options_.publication);
  streaming_ = true;
  logger().info("streaming slot {} (publication {})", options_.slot, options_.publication);

  PgOutputDecoder decoder(pipeline, [&catalog](std::uint32_t oid) { return catalog.primary_key(oid); });
  auto next_status = Clock::now() + options_.status_interval;
  bool done = false;
  // Stop only between transactions: what was started is finished, so a stop
  // never leaves a sink with half a transaction.
  while (decoder.in_transaction() || !(done || waker_.woken())) {
    const auto wait = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(next_status - Clock::now()),
                               std::chrono::milliseconds(0));
    // Inside a transaction a stop request waits for its commit.
    const std::string_view frame = stream.read(wait, decoder.in_transaction() ? nullptr : &waker_);
    bool report = Clock::now() >= next_status;
    bool reply_requested = false;
    if (!frame.empty()) {
      wire::Reader in(frame);
      const char kind = static_cast<char>(in.u8());
      if (kind == 'w') {
        in.u64();  // start of this message's WAL
        in.u64();  // server's WAL end
        in.i64();  // send time
        const auto message = frame.substr(1 + 3 * 8);
        if (const auto committed = decoder.handle(message)) {
          // Every receiver has the transaction: make it the slot's position.
          acknowledged = std::max(acknowledged, *committed);
          report = true;
          done = done || *committed >= end;
        }
      } else if (kind == 'k') {
        const Lsn server_position = in.u64();
        in.i64();  // send time
        reply_requested = in.u8() != 0;
        // The keepalive comes after everything the server decoded up to its
        // position, so between transactions all of that is delivered: safe
        // to acknowledge, and what lets an idle slot release WAL.
        if (!decoder.in_transaction()) {
          report = report || server_position > acknowledged;
          acknowledged = std::max(acknowledged, server_position);
          done = done || server_position >= end;
        }
      }
    }
    if (report || reply_requested) {
      stream.send_status(acknowledged);
      next_status = Clock::now() + options_.status_interval;
    }
  }
  stream.send_status(acknowledged);
  stream.finish();
  logger().info("stopped streaming slot {} at {}", options_.slot, format_lsn(acknowledged));
}

}  // namespace meowmx::internal

#include "capture/postgres/logical_source.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "capture/postgres/catalog.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/pgoutput.h"
#include "capture/postgres/publication.h"
#include "capture/postgres/replication_stream.h"
#include "capture/postgres/wire.h"
#include "common/logger.h"

namespace meowmx::internal {
namespace {

// How long a stop waits for the server to take its last acknowledgement.
constexpr std::chrono::seconds kFinishTimeout{10};

}  // namespace

LogicalSource::LogicalSource(PostgresSource options)
    : options_(std::move(options)), tables_(parse_table_names(options_.tables)) {
  check_slot_name(options_.slot);
  if (options_.publication.empty()) options_.publication = options_.slot;
  check_publication_name(options_.publication);
  if (options_.status_interval <= std::chrono::milliseconds(0)) {
    throw InvalidArgument("status_interval must be positive");
  }
}

void LogicalSource::run(Pipeline& pipeline, const Waker& stop) {
  using Clock = std::chrono::steady_clock;
  Catalog catalog(options_.dsn);
  catalog.require_logical_decoding();
  const auto tables = catalog.resolve(tables_, true);
  StreamInfo stream_info{"postgres:" + catalog.database_id() + "/" + options_.slot, {}};
  for (const auto& table : tables) stream_info.tables.push_back(table.table);
  pipeline.open(stream_info);
  ensure_publication(catalog, options_.publication, tables);
  Lsn acknowledged = ensure_slot(catalog, options_.slot, options_.publication);
  // --once: everything committed before this point, and nothing more is awaited.
  const Lsn end = options_.once ? catalog.mark_wal_end() : std::numeric_limits<Lsn>::max();

  ReplicationStream stream(options_.dsn);
  stream.start(options_.slot, options_.publication);
  streaming_ = true;
  logger().info("streaming slot {} (publication {})", options_.slot, options_.publication);

  auto next_status = Clock::now() + options_.status_interval;
  // Confirms what every sink has (and what `idle_position` allows).
  Lsn idle_position = 0;
  auto report = [&] {
    pipeline.progress().clear();
    if (const auto low = pipeline.acknowledged()) {
      acknowledged = std::max(acknowledged, std::get<LsnPosition>(*low).end_lsn);
    }
    if (idle_position > acknowledged && pipeline.idle()) acknowledged = idle_position;
    stream.send_status(acknowledged);
    next_status = Clock::now() + options_.status_interval;
  };
  pipeline.set_keepalive(report, options_.status_interval);

  PgOutputDecoder decoder(pipeline, [&catalog](std::uint32_t oid) { return catalog.primary_key(oid); });
  bool done = false;
  // Stop only between transactions: what was started is finished, so a stop
  // never leaves a sink with half a transaction.
  while (decoder.in_transaction() || !(done || stop.woken())) {
    const auto wait = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(next_status - Clock::now()),
                               std::chrono::milliseconds(0));
    // Inside a transaction a stop request waits for its commit. What the
    // sinks finish is confirmed at once, so a crash of the pub repeats as
    // little as it can.
    const std::string_view frame =
        stream.read(wait, {decoder.in_transaction() ? nullptr : &stop, &pipeline.progress()});
    bool reply_requested = false;
    if (!frame.empty()) {
      wire::Reader in(frame);
      const char kind = static_cast<char>(in.u8());
      if (kind == 'w') {
        in.u64();  // start of this message's WAL
        in.u64();  // server's WAL end
        in.i64();  // send time
        if (const auto committed = decoder.handle(frame.substr(1 + 3 * 8))) done = done || *committed >= end;
      } else if (kind == 'k') {
        const Lsn server_position = in.u64();
        in.i64();  // send time
        reply_requested = in.u8() != 0;
        // The keepalive comes after everything the server decoded up to its
        // position, so between transactions, once the sinks have everything
        // before it, it is safe to confirm: what lets an idle slot release WAL.
        if (!decoder.in_transaction()) {
          idle_position = std::max(idle_position, server_position);
          done = done || server_position >= end;
        }
      }
    }
    if (reply_requested || pipeline.progress().woken() || Clock::now() >= next_status) report();
  }
  pipeline.drain();
  report();
  if (!stream.finish(kFinishTimeout)) {
    logger().warn("slot {}: the server did not confirm the stop within {} s, so it may not have taken the "
                  "acknowledgement of {}: changes before it may come again at the next start",
                  options_.slot, kFinishTimeout.count(), format_lsn(acknowledged));
  }
  logger().info("stopped streaming slot {} at {}", options_.slot, format_lsn(acknowledged));
}

}  // namespace meowmx::internal

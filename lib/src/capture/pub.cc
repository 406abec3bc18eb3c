#include "meowmx/capture/pub.h"

#include <algorithm>
#include <chrono>

#include <pqxx/nontransaction>

#include "common/logger.h"
#include "meowmx/error.h"
#include "capture/postgres/catalog.h"
#include "capture/postgres/logical_source.h"
#include "capture/postgres/publication.h"
#include "capture/postgres/trigger_source.h"
#include "capture/postgres/triggers.h"
#include "common/waker.h"

namespace meowmx {
namespace {

using std::chrono::milliseconds;

// A session that streamed this long was healthy: the next failure starts
// the backoff from the beginning again.
constexpr auto kHealthySession = std::chrono::seconds(10);
constexpr milliseconds kFirstRetryWait{100};

std::string publication_or_slot(const std::string& publication, const std::string& slot) {
  return publication.empty() ? slot : publication;
}

}  // namespace

PubSource parse_pub_source(std::string_view text) {
  if (text == "postgres") return PubSource::kPostgres;
  if (text == "postgres-trigger") return PubSource::kPostgresTrigger;
  throw InvalidArgument("unknown source '" + std::string(text) + "': expected postgres or postgres-trigger");
}

struct Pub::Impl {
  PubOptions options;
  SignalBus* bus = nullptr;
  std::vector<internal::TableName> tables;
  internal::Waker waker;
};

Pub::Pub(PubOptions options, SignalBus& bus) : impl_(std::make_unique<Impl>()) {
  impl_->tables = internal::parse_tables(options.tables);
  internal::check_slot_name(options.slot);
  options.publication = publication_or_slot(options.publication, options.slot);
  internal::check_publication_name(options.publication);
  if (options.status_interval <= milliseconds(0)) throw InvalidArgument("status_interval must be positive");
  if (options.max_retry_wait < kFirstRetryWait) throw InvalidArgument("max_retry_wait must be at least 100 ms");
  if (options.once && options.source == PubSource::kPostgresTrigger) {
    throw InvalidArgument("once (--once) needs the postgres source: triggers keep no history to catch up on");
  }
  impl_->options = std::move(options);
  impl_->bus = &bus;
}

Pub::~Pub() = default;

void Pub::run() {
  internal::Pipeline pipeline(*impl_->bus, impl_->tables);
  std::unique_ptr<internal::Source> source;
  if (impl_->options.source == PubSource::kPostgres) {
    source = std::make_unique<internal::LogicalSource>(impl_->options, impl_->tables, impl_->waker);
  } else {
    source = std::make_unique<internal::TriggerSource>(impl_->options, impl_->tables, impl_->waker);
  }
  milliseconds wait = kFirstRetryWait;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    try {
      source->run(pipeline);
      return;
    } catch (const internal::RetryLater& e) {
      internal::logger().warn("{}; trying again", e.what());
    } catch (const ConnectionError& e) {
      // Before the first stream, a connection failure is a set-up mistake
      // (wrong DSN, server down) that the caller should hear about at once.
      if (!source->streaming()) throw;
      internal::logger().warn("{}; reconnecting", e.what());
    }
    if (std::chrono::steady_clock::now() - started > kHealthySession) wait = kFirstRetryWait;
    if (impl_->waker.wait_for(wait)) return;
    wait = std::min(wait * 2, impl_->options.max_retry_wait);
  }
}

void Pub::stop() { impl_->waker.wake(); }

std::string capture_stream_id(const PubOptions& options) {
  internal::Catalog catalog(options.dsn);
  const auto database = catalog.guarded("", [&] {
    pqxx::nontransaction tx(catalog.connection());
    return tx.exec1("SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()")[0]
        .as<std::string>();
  });
  if (options.source == PubSource::kPostgresTrigger) return "postgres-trigger:" + database;
  internal::check_slot_name(options.slot);
  return "postgres:" + database + "/" + options.slot;
}

PubStatus pub_status(const std::string& dsn, const std::string& slot, const std::string& publication) {
  internal::check_slot_name(slot);
  const std::string name = publication_or_slot(publication, slot);
  internal::check_publication_name(name);
  internal::Catalog catalog(dsn);
  return internal::read_status(catalog, slot, name);
}

PubDropResult pub_drop(const std::string& dsn, const std::string& slot, const std::string& publication) {
  internal::check_slot_name(slot);
  const std::string name = publication_or_slot(publication, slot);
  internal::check_publication_name(name);
  internal::Catalog catalog(dsn);
  return internal::drop_slot_and_publication(catalog, slot, name);
}

void uninstall_pub_triggers(const std::string& dsn, const std::vector<std::string>& tables) {
  const auto names = internal::parse_tables(tables);
  internal::Catalog catalog(dsn);
  internal::uninstall_triggers(catalog, catalog.resolve(names, false));
}

}  // namespace meowmx

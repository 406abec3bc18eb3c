#include "meowmx/capture/pub.h"

#include <chrono>

#include <pqxx/nontransaction>

#include "capture/mariadb/binlog_source.h"
#include "capture/postgres/catalog.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/logical_source.h"
#include "capture/postgres/publication.h"
#include "capture/postgres/trigger_source.h"
#include "capture/postgres/triggers.h"
#include "capture/session_runner.h"
#include "capture/sinks/signal_sink.h"
#include "common/waker.h"
#include "meowmx/error.h"

namespace meowmx {
namespace {

constexpr std::chrono::milliseconds kFirstRetryWait{100};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

// The one place that knows every source: a new one is a folder and a line here.
std::unique_ptr<internal::Source> make_source(const SourceOptions& options) {
  return std::visit(
      Overloaded{
          [](const PostgresSource& source) -> std::unique_ptr<internal::Source> {
            return std::make_unique<internal::LogicalSource>(source);
          },
          [](const PostgresTriggerSource& source) -> std::unique_ptr<internal::Source> {
            return std::make_unique<internal::TriggerSource>(source);
          },
          [](const MysqlSource& source) -> std::unique_ptr<internal::Source> {
            return std::make_unique<internal::BinlogSource>(source);
          },
      },
      options);
}

std::string publication_or_slot(const std::string& publication, const std::string& slot) {
  return publication.empty() ? slot : publication;
}

}  // namespace

std::string_view source_name(const SourceOptions& source) {
  return std::visit(Overloaded{[](const PostgresSource&) { return std::string_view("postgres"); },
                               [](const PostgresTriggerSource&) { return std::string_view("postgres-trigger"); },
                               [](const MysqlSource&) { return std::string_view("mysql"); }},
                    source);
}

struct Pub::Impl {
  PubOptions options;
  std::unique_ptr<internal::Source> source;
  std::vector<std::unique_ptr<Sink>> sinks;
  internal::Waker waker;
};

Pub::Pub(PubOptions options, SignalBus& bus) : impl_(std::make_unique<Impl>()) {
  if (options.max_retry_wait < kFirstRetryWait) throw InvalidArgument("max_retry_wait must be at least 100 ms");
  if (options.buffer_bytes == 0) throw InvalidArgument("buffer_bytes must be positive");
  impl_->source = make_source(options.source);
  impl_->options = std::move(options);
  impl_->sinks.push_back(internal::make_signal_sink(bus));
}

Pub::~Pub() = default;

void Pub::add_sink(std::unique_ptr<Sink> sink) {
  if (!sink) throw InvalidArgument("add_sink: no sink");
  impl_->sinks.push_back(std::move(sink));
}

void Pub::run() {
  std::vector<Sink*> sinks;
  for (const auto& sink : impl_->sinks) sinks.push_back(sink.get());
  internal::run_sessions(*impl_->source, sinks,
                         {.first_retry_wait = kFirstRetryWait,
                          .max_retry_wait = impl_->options.max_retry_wait,
                          .buffer_bytes = impl_->options.buffer_bytes},
                         impl_->waker);
}

void Pub::stop() { impl_->waker.wake(); }

namespace {

PubStatus status_with_parked_changes(internal::Catalog& catalog, const std::string& slot,
                                     const std::string& publication) {
  PubStatus status = internal::read_status(catalog, slot, publication);
  const std::string stream = "postgres:" + catalog.database_id() + "/" + slot;
  status.parked_changes = catalog.guarded("counting parked changes", [&] {
    pqxx::nontransaction tx(catalog.connection());
    // Databases without the log sink's schema park nothing.
    if (tx.exec1("SELECT to_regclass('meowmx.capture_dead_letters')")[0].is_null()) return std::int64_t{0};
    return tx.exec_params1("SELECT count(*) FROM meowmx.capture_dead_letters WHERE stream = $1", stream)[0]
        .as<std::int64_t>();
  });
  return status;
}

}  // namespace

PubStatus pub_status(const std::string& dsn, const std::string& slot, const std::string& publication) {
  internal::check_slot_name(slot);
  const std::string name = publication_or_slot(publication, slot);
  internal::check_publication_name(name);
  internal::Catalog catalog(dsn);
  return status_with_parked_changes(catalog, slot, name);
}

std::vector<PubStatus> pub_statuses(const std::string& dsn) {
  internal::Catalog catalog(dsn);
  std::vector<PubStatus> statuses;
  for (const auto& [slot, publication] : internal::list_slots(catalog)) {
    statuses.push_back(status_with_parked_changes(catalog, slot, publication));
  }
  return statuses;
}

PubDropResult pub_drop(const std::string& dsn, const std::string& slot, const std::string& publication) {
  internal::check_slot_name(slot);
  const std::string name = publication_or_slot(publication, slot);
  internal::check_publication_name(name);
  internal::Catalog catalog(dsn);
  return internal::drop_slot_and_publication(catalog, slot, name);
}

void uninstall_pub_triggers(const std::string& dsn, const std::vector<std::string>& tables) {
  const auto names = internal::parse_table_names(tables);
  internal::Catalog catalog(dsn);
  internal::uninstall_triggers(catalog, catalog.resolve(names, false));
}

}  // namespace meowmx

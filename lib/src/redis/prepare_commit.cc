#include "meowmx/redis/prepare_commit.h"

#include <uuid/uuid.h>

#include "common/logger.h"
#include "meowmx/error.h"
#include "redis/session_records.h"

namespace meowmx {

struct PrepareCommit::Impl {
  explicit Impl(PrepareCommitOptions options) : records(std::move(options)) {}
  internal::SessionRecords records;
};

PrepareCommit::PrepareCommit(PrepareCommitOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
PrepareCommit::~PrepareCommit() = default;

const PrepareCommitOptions& PrepareCommit::options() const noexcept { return impl_->records.options(); }

std::optional<PreparedSession> PrepareCommit::session(std::string_view id) {
  auto& records = impl_->records;
  const RedisTime now = records.options().store.clock();
  const auto names = records.spaces().namespaces_between(now - records.options().ttl, now);
  for (auto space = names.rbegin(); space != names.rend(); ++space) {
    if (auto found = records.read(*space, id)) return found;
  }
  return std::nullopt;
}

std::vector<std::string> PrepareCommit::prepared(std::optional<RedisTime> day) {
  auto& records = impl_->records;
  return records.prepared_in(records.spaces().namespace_at(day.value_or(records.options().store.clock())));
}

namespace {

std::string new_session_id() {
  uuid_t uuid;
  uuid_generate_random(uuid);
  char text[37];
  uuid_unparse_lower(uuid, text);
  return text;
}

}  // namespace

std::string WriterTransaction::committed_but_unpublished(const std::exception& e) const {
  return "prepare-commit: session " + session_.id + " is committed in PostgreSQL but not published (redis-recover "
         "will publish it): " + e.what();
}

WriterTransaction::WriterTransaction(PrepareCommit& records, pqxx::connection& connection)
    : records_(records), work_(std::make_unique<pqxx::work>(connection)) {
  session_.id = new_session_id();
  session_.state = "prepared";
}

WriterTransaction::~WriterTransaction() {
  if (done_) return;
  try {
    rollback();
  } catch (const std::exception& e) {
    internal::logger().error("prepare-commit: rolling back session {}: {}", session_.id, e.what());
  }
}

void WriterTransaction::touched(std::string_view table, ChangeAction action, std::string_view pk) {
  if (table.empty()) throw InvalidArgument("prepare-commit: touched() needs a table name");
  session_.changes.push_back({std::string(table) + "_" + std::string(to_string(action)), std::string(pk)});
}

void WriterTransaction::commit() {
  auto& records = records_.impl_->records;
  const auto& options = records.options();
  const auto step = [&](CommitStep done) {
    if (options.on_step) options.on_step(done);
  };
  // Runs a Redis step; lenient mode logs its failure and goes on.
  const auto redis_step = [&](const char* what, const auto& fn) {
    try {
      fn();
      return true;
    } catch (const Error& e) {
      if (options.strict) throw;
      internal::logger().error("prepare-commit: {} session {}: {}; left to redis-recover", what, session_.id,
                               e.what());
      return false;
    }
  };
  if (!session_.changes.empty()) {
    session_.xid = work_->exec1("SELECT pg_current_xact_id()::text")[0].as<std::string>();
    session_.prepared_at = options.store.clock();
    try {
      prepared_ = redis_step("preparing", [&] { records.prepare(session_); });
    } catch (...) {
      work_->abort();
      done_ = true;
      throw;
    }
    step(CommitStep::kPrepared);
  }
  work_->commit();
  done_ = true;
  step(CommitStep::kDatabaseCommitted);
  if (session_.changes.empty()) return;
  try {
    redis_step("publishing", [&] { records.publish(session_, options.store.clock(), "committed"); });
  } catch (const ConnectionError& e) {
    throw ConnectionError(committed_but_unpublished(e));
  } catch (const Error& e) {
    throw Error(committed_but_unpublished(e));
  }
  step(CommitStep::kPublished);
}

void WriterTransaction::rollback() {
  if (done_) return;
  work_->abort();
  done_ = true;
  if (!prepared_) return;
  auto& records = records_.impl_->records;
  try {
    records.finish(session_, "rolled_back");
  } catch (const Error& e) {
    if (records.options().strict) throw;
    internal::logger().error("prepare-commit: marking session {} rolled back: {}", session_.id, e.what());
  }
}

}  // namespace meowmx

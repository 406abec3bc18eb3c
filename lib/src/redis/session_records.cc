#include "redis/session_records.h"

#include <nlohmann/json.hpp>

#include "meowmx/error.h"
#include "redis/store_commands.h"

namespace meowmx::internal {
namespace {

std::string record_json(const PreparedSession& session) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& change : session.changes) changes.push_back({{"event", change.event}, {"pk", change.pk}});
  return nlohmann::json{{"id", session.id},
                        {"xid", session.xid},
                        {"state", session.state},
                        {"prepared_at", format_redis_time(session.prepared_at)},
                        {"changes", std::move(changes)}}
      .dump();
}

PreparedSession parse_record(std::string_view text) {
  try {
    const auto json = nlohmann::json::parse(text);
    PreparedSession session{json.at("id").get<std::string>(), json.at("xid").get<std::string>(),
                            json.at("state").get<std::string>(),
                            parse_redis_time(json.at("prepared_at").get<std::string>()), {}};
    for (const auto& change : json.at("changes")) {
      session.changes.push_back({change.at("event").get<std::string>(), change.at("pk").get<std::string>()});
    }
    return session;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("redis: a prepare-commit record is not what meowmx writes: ") + e.what());
  }
}

}  // namespace

SessionRecords::SessionRecords(PrepareCommitOptions options)
    : options_(std::move(options)), records_(options_.namespace_pattern), store_keys_(options_.store.namespace_pattern) {
  if (options_.ttl < std::chrono::seconds(1) || options_.store.ttl < std::chrono::seconds(1)) {
    throw InvalidArgument("prepare-commit: the TTLs must be at least 1 s");
  }
  if (!options_.store.clock) throw InvalidArgument("prepare-commit: the store needs a clock");
}

RedisConnection& SessionRecords::redis() {
  if (!redis_) redis_.emplace(options_.store.connection.url, options_.store.connection.timeout);
  return *redis_;
}

std::size_t SessionRecords::queue_record(const PreparedSession& session, bool into_set) {
  const std::string space = records_.namespace_at(session.prepared_at);
  const std::string set = space + ":prepared";
  const std::string ttl = std::to_string(options_.ttl.count());
  auto& connection = redis();
  connection.append({"SET", space + ":session:" + session.id, record_json(session), "EX", ttl});
  if (!into_set) {
    connection.append({"SREM", set, session.id});
    return 2;
  }
  connection.append({"SADD", set, session.id});
  connection.append({"EXPIRE", set, ttl});
  return 3;
}

void SessionRecords::prepare(const PreparedSession& session) {
  auto& connection = redis();
  connection.append({"MULTI"});
  const std::size_t queued = queue_record(session, true);
  connection.append({"EXEC"});
  read_transaction(connection, "preparing session " + session.id, queued);
}

void SessionRecords::publish(PreparedSession session, RedisTime time, std::string_view state) {
  std::vector<StoreAdd> adds;
  for (const auto& change : session.changes) adds.push_back({change.event, change.pk});
  session.state = std::string(state);
  auto& connection = redis();
  connection.append({"MULTI"});
  std::size_t queued = queue_adds(connection, store_keys_, adds, time, options_.store.ttl);
  queued += queue_record(session, false);
  connection.append({"EXEC"});
  read_transaction(connection, "publishing session " + session.id, queued);
  if (options_.signals) {
    for (const auto& change : session.changes) options_.signals->signal(change.event).send(change.pk);
  }
}

void SessionRecords::finish(PreparedSession session, std::string_view state) {
  session.state = std::string(state);
  auto& connection = redis();
  connection.append({"MULTI"});
  const std::size_t queued = queue_record(session, false);
  connection.append({"EXEC"});
  read_transaction(connection, "finishing session " + session.id, queued);
}

void SessionRecords::forget(std::string_view space, std::string_view id) {
  redis().command("forgetting session " + std::string(id), {"SREM", std::string(space) + ":prepared", id});
}

std::optional<PreparedSession> SessionRecords::read(std::string_view space, std::string_view id) {
  const std::string key = std::string(space) + ":session:" + std::string(id);
  const RedisReply reply = redis().command("reading session " + std::string(id), {"GET", key});
  if (reply.is_nil()) return std::nullopt;
  return parse_record(reply.text());
}

std::vector<std::string> SessionRecords::prepared_in(std::string_view space) {
  const RedisReply members =
      redis().command("listing prepared sessions", {"SMEMBERS", std::string(space) + ":prepared"});
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < members.size(); ++i) ids.emplace_back(members.element_text(i));
  return ids;
}

std::vector<std::pair<std::string, std::string>> SessionRecords::prepared_since(RedisTime from) {
  const RedisTime now = std::max(from, options_.store.clock());
  std::vector<std::pair<std::string, std::string>> found;
  for (const std::string& space : records_.namespaces_between(from, now)) {
    for (std::string& id : prepared_in(space)) found.emplace_back(space, std::move(id));
  }
  return found;
}

}  // namespace meowmx::internal

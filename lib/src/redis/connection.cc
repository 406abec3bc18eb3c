#include "redis/connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

timeval to_timeval(std::chrono::milliseconds timeout) {
  return {static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
}

// Errors that go away by themselves: the server restarted and is loading
// its data, or a replica lost its primary.
bool is_transient(std::string_view message) {
  return message.starts_with("LOADING") || message.starts_with("MASTERDOWN") || message.starts_with("TRYAGAIN");
}

long long integer_of(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_INTEGER) throw Error("redis: expected an integer reply, got another kind");
  return reply.integer;
}

bool is_error(const redisReply& reply) { return reply.type == REDIS_REPLY_ERROR; }

std::string_view text_of(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return {reply.str, reply.len};
    default:
      return {};
  }
}

}  // namespace

void RedisReply::Free::operator()(redisReply* reply) const { freeReplyObject(reply); }

bool RedisReply::is_nil() const { return reply_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_error() const { return internal::is_error(*reply_); }
std::string_view RedisReply::text() const { return text_of(*reply_); }

long long RedisReply::integer() const { return integer_of(*reply_); }
long long RedisReply::element_integer(std::size_t i) const { return integer_of(element(i)); }

std::size_t RedisReply::size() const { return reply_->type == REDIS_REPLY_ARRAY ? reply_->elements : 0; }
std::string_view RedisReply::element_text(std::size_t i) const { return text_of(element(i)); }
const redisReply& RedisReply::element(std::size_t i) const { return *reply_->element[i]; }

void RedisConnection::Free::operator()(redisContext* context) const { redisFree(context); }

RedisConnection::RedisConnection(std::string_view url, std::chrono::milliseconds timeout)
    : url_(parse_redis_url(url)), timeout_(timeout), server_(url_.describe()) {
  connect();
}

RedisConnection::~RedisConnection() = default;

void RedisConnection::connect() {
  context_.reset(redisConnectWithTimeout(url_.host.c_str(), url_.port, to_timeval(timeout_)));
  if (!context_) throw ConnectionError("redis " + server_ + ": cannot allocate a connection");
  if (context_->err) throw_io_error("connecting");
  if (redisSetTimeout(context_.get(), to_timeval(timeout_)) != REDIS_OK) throw_io_error("setting the timeout");
  try {
    if (!url_.password.empty()) {
      RedisArgv auth{"AUTH"};
      if (!url_.user.empty()) auth.push_back(url_.user);
      auth.push_back(url_.password);
      command("authenticating", auth);
    }
    if (url_.database != 0) command("selecting the database", {"SELECT", std::to_string(url_.database)});
  } catch (const ConnectionError&) {
    throw;
  } catch (const Error& e) {
    throw ConnectionError(e.what());  // refused: as unreachable as a server that is down
  }
}

void RedisConnection::reconnect() {
  context_.reset();
  connect();
}

bool RedisConnection::broken() const { return !context_ || context_->err != 0; }

void RedisConnection::append(const RedisArgv& argv) {
  if (broken()) reconnect();
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  pointers.reserve(argv.size());
  lengths.reserve(argv.size());
  for (std::string_view arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), pointers.data(), lengths.data()) !=
      REDIS_OK) {
    throw_io_error("queueing a command");
  }
}

RedisReply RedisConnection::next_reply(std::string_view what) {
  void* reply = nullptr;
  if (redisGetReply(context_.get(), &reply) != REDIS_OK || reply == nullptr) throw_io_error(what);
  return RedisReply(static_cast<redisReply*>(reply));
}

RedisReply RedisConnection::command(std::string_view what, const RedisArgv& argv) {
  append(argv);
  RedisReply reply = next_reply(what);
  check(what, reply);
  return reply;
}

void RedisConnection::check(std::string_view what, const RedisReply& reply) const {
  if (reply.is_error()) throw_reply_error(what, reply.text());
}

void RedisConnection::check(std::string_view what, const redisReply& reply) const {
  if (is_error(reply)) throw_reply_error(what, text_of(reply));
}

void RedisConnection::throw_io_error(std::string_view what) {
  const std::string reason = context_ && context_->errstr[0] != '\0' ? context_->errstr : "connection lost";
  // The connection cannot be used again: replies may be half read.
  if (context_ && context_->err == 0) context_->err = REDIS_ERR_IO;
  throw ConnectionError("redis " + server_ + ": " + std::string(what) + ": " + reason);
}

void RedisConnection::throw_reply_error(std::string_view what, std::string_view message) const {
  const std::string line = "redis " + server_ + ": " + std::string(what) + ": " + std::string(message);
  if (is_transient(message)) throw ConnectionError(line);
  throw Error(line);
}

}  // namespace meowmx::internal

// RedisConnection: one hiredis connection, owned, with commands given as
// argv arrays only (never format strings, so any key or member is safe),
// one at a time or pipelined; RedisReply owns what hiredis returns.
#ifndef MEOWMX_SRC_REDIS_CONNECTION_H_
#define MEOWMX_SRC_REDIS_CONNECTION_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_url.h"

struct redisContext;
struct redisReply;

namespace meowmx::internal {

using RedisArgv = std::vector<std::string_view>;

class RedisReply {
 public:
  explicit RedisReply(redisReply* reply) : reply_(reply) {}

  bool is_nil() const;
  bool is_error() const;
  // A status, string or error reply's text ("" for the others).
  std::string_view text() const;
  // An integer reply's value; Error for any other kind.
  long long integer() const;
  // A multi-bulk reply's elements (none for the other kinds), as views into
  // this reply: they live as long as it does.
  std::size_t size() const;
  std::string_view element_text(std::size_t i) const;
  // An integer element's value; Error for any other kind.
  long long element_integer(std::size_t i) const;
  // The i-th element of a multi-bulk reply of replies (EXEC's), not owned.
  const redisReply& element(std::size_t i) const;

 private:
  struct Free {
    void operator()(redisReply* reply) const;
  };
  std::unique_ptr<redisReply, Free> reply_;
};

class RedisConnection {
 public:
  // Connects (AUTH and SELECT as the URL says); throws InvalidArgument for a
  // bad URL, ConnectionError when the server cannot be reached or refuses.
  RedisConnection(std::string_view url, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command. Throws ConnectionError when the connection breaks (or
  // the server is still loading its data after a restart), Error when Redis
  // answers with an error, both naming `what` and the server.
  RedisReply command(std::string_view what, const RedisArgv& argv);

  // Pipelining: queue commands, then read their replies in order. A reply
  // that is an error is returned as such (check() it).
  void append(const RedisArgv& argv);
  RedisReply next_reply(std::string_view what);
  // Throws as command() does when `reply` is an error.
  void check(std::string_view what, const RedisReply& reply) const;
  void check(std::string_view what, const redisReply& reply) const;

  // Whether an I/O error made the connection unusable; reconnect() then.
  bool broken() const;
  // Drops the connection and opens a new one; throws as the constructor.
  void reconnect();
  // "host:port/database": for messages, never the password.
  const std::string& server() const noexcept { return server_; }

 private:
  struct Free {
    void operator()(redisContext* context) const;
  };
  void connect();
  [[noreturn]] void throw_io_error(std::string_view what);
  [[noreturn]] void throw_reply_error(std::string_view what, std::string_view message) const;

  RedisUrl url_;
  std::chrono::milliseconds timeout_;
  std::string server_;
  std::unique_ptr<redisContext, Free> context_;
};

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_REDIS_CONNECTION_H_

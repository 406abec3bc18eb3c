#include "capture/postgres/replication_stream.h"

#include <algorithm>
#include <chrono>

#include "pg/connection_errors.h"
#include "common/logger.h"
#include "meowmx/error.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/values.h"
#include "capture/source.h"
#include "capture/postgres/wire.h"

namespace meowmx::internal {
namespace {

struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultClearer>;

std::string sqlstate(const PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return state ? state : "";
}

}  // namespace

ReplicationStream::ReplicationStream(std::string dsn) : dsn_(std::move(dsn)) {
  // expand_dbname: the DSN's own settings come first, replication mode is
  // added, and values are rendered under the settings captured values share.
  const std::string options(kCaptureSessionOptions);
  const char* keywords[] = {"dbname", "replication", "fallback_application_name", "options", nullptr};
  const char* values[] = {dsn_.c_str(), "database", "meowmx pub", options.c_str(), nullptr};
  connection_.reset(PQconnectdbParams(keywords, values, 1));
  if (!connection_ || PQstatus(connection_.get()) != CONNECTION_OK) {
    throw ConnectionError(redact("cannot open a replication connection to " + describe_dsn(dsn_) + ": " +
                                     one_line(PQerrorMessage(connection_.get())),
                                 dsn_));
  }
}

void ReplicationStream::fail(std::string_view context) {
  throw ConnectionError(redact(std::string(context) + ": " + one_line(PQerrorMessage(connection_.get())), dsn_));
}

void ReplicationStream::start(const std::string& slot, const std::string& publication) {
  // The slot name is checked to be [a-z0-9_]; publication_names is a string
  // holding a list of identifiers, so the quoted identifier goes in a literal.
  check_slot_name(slot);
  const std::string quoted_publication = quote_identifier(publication);
  char* literal = PQescapeLiteral(connection_.get(), quoted_publication.c_str(), quoted_publication.size());
  if (!literal) fail("cannot quote the publication name");
  const std::string command = "START_REPLICATION SLOT " + slot +
                              " LOGICAL 0/0 (proto_version '1', publication_names " + literal + ")";
  PQfreemem(literal);
  Result result(PQexec(connection_.get(), command.c_str()));
  if (PQresultStatus(result.get()) == PGRES_COPY_BOTH) return;
  if (PQstatus(connection_.get()) != CONNECTION_OK) fail("replication connection lost");
  const std::string message = one_line(PQresultErrorMessage(result.get()));
  if (sqlstate(result.get()) == "55006") {
    throw RetryLater("replication slot " + slot + " is busy: " + message);
  }
  throw Error(redact("cannot stream replication slot " + slot + ": " + message, dsn_));
}

std::string_view ReplicationStream::read(std::chrono::milliseconds timeout,
                                         std::initializer_list<const Waker*> wakers) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  buffer_.reset();
  for (;;) {
    char* data = nullptr;
    const int size = PQgetCopyData(connection_.get(), &data, 1);
    if (size > 0) {
      buffer_.reset(data);
      return {data, static_cast<std::size_t>(size)};
    }
    if (size == -2) fail("replication stream broken");
    if (size == -1) {
      // The server ended COPY: its final result says why.
      Result result(PQgetResult(connection_.get()));
      const std::string state = result ? sqlstate(result.get()) : "";
      const std::string message = result ? one_line(PQresultErrorMessage(result.get())) : "";
      if (PQstatus(connection_.get()) != CONNECTION_OK || message.empty() || state.rfind("57", 0) == 0 ||
          state.rfind("08", 0) == 0) {
        throw ConnectionError(redact("the server ended the replication stream: " +
                                         (message.empty() ? std::string("no reason given") : message),
                                     dsn_));
      }
      throw Error(redact("the server ended the replication stream: " + message, dsn_));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const bool woken = std::any_of(wakers.begin(), wakers.end(), [](const Waker* w) { return w && w->woken(); });
    if (left.count() <= 0 || woken) return {};
    if (!wait_for_socket(PQsocket(connection_.get()), wakers, left)) return {};
    if (!PQconsumeInput(connection_.get())) fail("replication stream broken");
  }
}

void ReplicationStream::send_status(Lsn flushed, bool reply_requested) {
  std::string message;
  message.reserve(34);
  message += 'r';
  for (int i = 0; i < 3; ++i) wire::append_uint64(message, flushed);  // written, flushed, applied
  wire::append_uint64(message, static_cast<std::uint64_t>(wire::now_postgres_micros()));
  message += static_cast<char>(reply_requested ? 1 : 0);
  if (PQputCopyData(connection_.get(), message.data(), static_cast<int>(message.size())) != 1 ||
      PQflush(connection_.get()) != 0) {
    fail("cannot send the standby status");
  }
  logger().trace("acknowledged {}", format_lsn(flushed));
}

bool ReplicationStream::take_input(std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 && wait_for_socket(PQsocket(connection_.get()), {}, left) &&
         PQconsumeInput(connection_.get()) == 1;
}

bool ReplicationStream::finish(std::chrono::milliseconds timeout) {
  // Closing at once loses the last status now and then: a server process
  // busy sending finds the connection reset before it reads what came.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  PGconn* connection = connection_.get();
  buffer_.reset();
  if (PQputCopyEnd(connection, nullptr) != 1 || PQflush(connection) != 0) return false;
  for (;;) {
    char* data = nullptr;
    const int size = PQgetCopyData(connection, &data, 1);
    if (size > 0) {
      PQfreemem(data);
    } else if (size == -1) {
      break;  // the server's end of the stream, or its error
    } else if (size == -2 || !take_input(deadline)) {
      return false;
    }
  }
  // Its results too, so the connection closes with nothing left unread.
  bool ended = true;
  for (;;) {
    while (PQisBusy(connection)) {
      if (!take_input(deadline)) return ended;
    }
    const Result result(PQgetResult(connection));
    if (!result) return ended;
    ended = ended && PQresultStatus(result.get()) == PGRES_COMMAND_OK;
  }
}

}  // namespace meowmx::internal

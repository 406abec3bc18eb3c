// Errors: every failure meowmx reports is one of these exception types.
// The CLI maps each type to its documented exit code (see exit_code()).
#ifndef MEOWMX_ERROR_H_
#define MEOWMX_ERROR_H_

#include <cstdint>
#include <stdexcept>
#include <string>

namespace meowmx {

// Base of every meowmx error; a bare Error is "something else went wrong" (exit 1).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  // The CLI exit code documented for this kind of error.
  virtual int exit_code() const noexcept { return 1; }
};

// The caller passed something meowmx refuses: malformed JSON, a bad name,
// an unknown option value. Nothing was written (exit 2).
class InvalidArgument : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 2; }
};

// An append expected the aggregate to hold `expected` events but it held
// `actual`, or a client event id was already used by another write (exit 3).
class VersionConflict : public Error {
 public:
  VersionConflict(const std::string& message, std::int64_t expected, std::int64_t actual)
      : Error(message), expected_(expected), actual_(actual) {}
  int exit_code() const noexcept override { return 3; }
  std::int64_t expected() const noexcept { return expected_; }
  std::int64_t actual() const noexcept { return actual_; }

 private:
  std::int64_t expected_;
  std::int64_t actual_;
};

// The database could not be reached, or the connection broke (exit 4).
// Messages never contain the password of the DSN.
class ConnectionError : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 4; }
};

// A subscription handler failed on the same event for every allowed attempt
// and the retry policy says stop (exit 1).
class HandlerFailed : public Error {
 public:
  using Error::Error;
};

// Thrown by a subscription handler when the failure is not the events' (its
// output is gone, its command cannot run): the subscription stops at once,
// without retries or dead letters, and the batch is not checkpointed (exit 1).
class HandlerAborted : public Error {
 public:
  using Error::Error;
};

}  // namespace meowmx

#endif  // MEOWMX_ERROR_H_

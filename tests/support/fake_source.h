// FakeSource: a capture source that plays a script of transactions into the
// pipeline, for what a real server cannot show at one exact moment: a
// connection lost half-way through a transaction, a replay after a restart.
// Run it through internal::run_sessions() as a Pub runs a real source.
//
//   testing::FakeSource source(stream, {{.position = LsnPosition{0x100, 0x128}, .keys = {"1", "2"}},
//                                       {.position = ..., .keys = {"3"}, .lose_connection_after = 1}});
//   internal::run_sessions(source, {&sink}, {}, stop);
#ifndef MEOWMX_TESTS_SUPPORT_FAKE_SOURCE_H_
#define MEOWMX_TESTS_SUPPORT_FAKE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/source.h"
#include "meowmx/capture/sink.h"

namespace meowmx::testing {

struct ScriptedTransaction {
  TransactionPosition position;  // its commit position; begin gets the same
  std::uint64_t xid = 1;
  // One write per key to the stream's first table, numeric keys as written.
  std::vector<std::string> keys{};
  // Once only: the connection is lost after this many of the changes (the
  // session fails with ConnectionError and the sinks abort the transaction);
  // the next session starts after the last acknowledged transaction, which
  // is the one before: the source waits for it before losing the connection.
  std::optional<std::size_t> lose_connection_after{};
};

class FakeSource : public internal::Source {
 public:
  FakeSource(StreamInfo stream, std::vector<ScriptedTransaction> script);

  // One session: opens the pipeline and plays the script from the first
  // transaction after the acknowledged one, then drains and returns.
  void run(internal::Pipeline& pipeline, const internal::Waker& stop) override;
  bool streaming() const override { return streaming_; }

  // Sessions run so far.
  int sessions() const noexcept { return sessions_; }

 private:
  StreamInfo stream_;
  std::vector<ScriptedTransaction> script_;
  std::optional<TransactionPosition> acknowledged_;  // what the "server" was told
  bool streaming_ = false;
  int sessions_ = 0;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_FAKE_SOURCE_H_

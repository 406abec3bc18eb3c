#include "support/fake_source.h"

#include <utility>

#include "capture/pipeline.h"

namespace meowmx::testing {

FakeSource::FakeSource(StreamInfo stream, std::vector<ScriptedTransaction> script)
    : stream_(std::move(stream)), script_(std::move(script)) {}

void FakeSource::run(internal::Pipeline& pipeline, const internal::Waker& stop) {
  ++sessions_;
  pipeline.open(stream_);
  streaming_ = true;
  const TableName& name = stream_.tables.front().name;
  const CapturedTable* table = pipeline.table(name.space, name.name);  // the pipeline's own copy
  for (auto& transaction : script_) {
    if (stop.woken()) break;
    if (acknowledged_ && compare(transaction.position, *acknowledged_) <= 0) continue;
    pipeline.begin(transaction.position, transaction.xid, "2026-12-01 00:00:00+00");
    for (std::size_t i = 0; i < transaction.keys.size(); ++i) {
      if (transaction.lose_connection_after == i) {
        transaction.lose_connection_after.reset();
        // The server keeps what it was last told (all before this
        // transaction, so the replay is the same in every run); the
        // pipeline, going away mid-transaction, has the sinks abort it.
        pipeline.drain();
        if (const auto acknowledged = pipeline.acknowledged()) acknowledged_ = acknowledged;
        throw ConnectionError("the fake server went away");
      }
      ChangeEvent change;
      change.table = table;
      change.index = static_cast<std::int64_t>(i);
      change.key = {Value{Value::Kind::kNumber, transaction.keys[i]}};
      pipeline.change(std::move(change));
    }
    pipeline.commit(transaction.position);
  }
  pipeline.drain();
  if (const auto acknowledged = pipeline.acknowledged()) acknowledged_ = acknowledged;
}

}  // namespace meowmx::testing

// The subscription input: each batch of events is handed to the workers
// (topic = event type, pk = aggregate id), and the handler returns, letting
// the subscription commit its checkpoint, only once every pk of the batch is
// done. Batches go one at a time; the workers share each one out.
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "meowmx/client.h"
#include "meowmx/error.h"
#include "replicator/input.h"

namespace meowmx::internal {
namespace {

class SubscriptionInputImpl : public Input {
 public:
  explicit SubscriptionInputImpl(const SubscriptionInput& options) : options_(options) {
    if (options.name.empty()) throw InvalidArgument("the subscription input needs a subscription name");
    if (options.batch_size < 1) throw InvalidArgument("the subscription's batch size must be positive");
  }

  std::string name() const override { return "subscription " + options_.name; }
  std::unique_ptr<Parking> default_parking() const override { return make_table_parking(options_.dsn, name()); }

  void run(Dispatch& dispatch) override {
    Client client({.dsn = options_.dsn, .application_name = "meowmx replicate"});
    SubscriptionOptions subscription;
    subscription.categories = options_.categories;
    subscription.batch_size = options_.batch_size;
    subscription.max_sleep = options_.max_sleep;
    client.subscribe(
        options_.name, subscription,
        [&](const std::vector<RecordedEvent>& batch, pqxx::work&) { hand_over(dispatch, batch); },
        stop_.get_token());
    std::lock_guard lock(mutex_);
    if (failure_) std::rethrow_exception(failure_);
  }

  void stop() override { stop_.request_stop(); }

  void fail(std::exception_ptr error) override {
    {
      std::lock_guard lock(mutex_);
      if (!failure_) failure_ = error;
    }
    finished_.notify_all();
    stop_.request_stop();
  }

  void done(Token token) override {
    {
      std::lock_guard lock(mutex_);
      if (token == batch_token_) batch_done_ = true;
    }
    finished_.notify_all();
  }

  std::string acknowledged() const override {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

 private:
  void hand_over(Dispatch& dispatch, const std::vector<RecordedEvent>& batch) {
    if (batch.empty()) return;
    Token token;
    {
      std::lock_guard lock(mutex_);
      token = ++batch_token_;
      batch_done_ = false;
    }
    for (const RecordedEvent& event : batch) {
      const std::string position =
          R"({"tx_id":)" + std::to_string(event.tx_id) + R"(,"id":)" + std::to_string(event.id) + "}";
      dispatch.route(event.event_type, event.aggregate_id, position, token);
    }
    dispatch.flush();
    std::unique_lock lock(mutex_);
    if (dispatch.completion().seal(token)) batch_done_ = true;
    finished_.wait(lock, [&] { return batch_done_ || failure_; });
    // The subscription stops at once, its checkpoint before the batch.
    if (failure_) throw HandlerAborted("replicator: the workers failed");
    const RecordedEvent& last = batch.back();
    acknowledged_ = std::to_string(last.tx_id) + ":" + std::to_string(last.id);
  }

  SubscriptionInput options_;
  std::stop_source stop_;
  mutable std::mutex mutex_;
  std::condition_variable finished_;
  Token batch_token_ = 0;
  bool batch_done_ = false;
  std::exception_ptr failure_;
  std::string acknowledged_;
};

}  // namespace

std::unique_ptr<Input> make_subscription_input(const SubscriptionInput& options) {
  return std::make_unique<SubscriptionInputImpl>(options);
}

}  // namespace meowmx::internal

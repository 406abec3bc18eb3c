#include "capture/postgres/trigger_source.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/nontransaction>
#include <pqxx/notification>

#include "capture/postgres/catalog.h"
#include "capture/postgres/identifiers.h"
#include "capture/postgres/triggers.h"
#include "capture/postgres/values.h"
#include "common/logger.h"

namespace meowmx::internal {
namespace {

// How long an idle session waits before it checks that the server is still there.
constexpr std::chrono::seconds kProbeInterval{10};

// A notification as the listening connection received it.
struct Received {
  std::string payload;
  // The session's own notification on its barrier channel (see Barrier).
  bool barrier = false;
};

// Appends what arrives on one channel to the session's queue. libpqxx hands
// notifications over in the order the server sent them, whatever the channel.
class ChannelReceiver : public pqxx::notification_receiver {
 public:
  ChannelReceiver(pqxx::connection_base& connection, const std::string& channel, bool barrier,
                  std::deque<Received>& queue)
      : pqxx::notification_receiver(connection, channel), barrier_(barrier), queue_(queue) {}
  void operator()(const std::string& payload, int) override { queue_.push_back({payload, barrier_}); }

 private:
  const bool barrier_;
  std::deque<Received>& queue_;
};

// Knowing when a transaction's notifications are all in. PostgreSQL puts a
// transaction's notifications in its queue before the commit, with writers
// taking turns, but a listener may be sent the first of them before the
// rest. A NOTIFY of the session's own, on a channel only it listens to, is
// queued behind every notification of the transactions committed before
// it, and comes back before the statement returns: whatever precedes it in
// the queue belongs to complete transactions.
class Barrier {
 public:
  Barrier(Catalog& catalog, std::deque<Received>& queue)
      : catalog_(catalog),
        channel_("meowmx_pub_barrier_" + std::to_string(catalog.connection().backendpid())),
        receiver_(catalog.connection(), channel_, true, queue),
        queue_(queue) {}

  // Returns once a barrier is in the queue, or `stop` fired.
  void pass(const Waker& stop) {
    catalog_.guarded("listening for changes", [&] {
      {
        pqxx::nontransaction tx(catalog_.connection());
        tx.exec0("NOTIFY " + quote_identifier(channel_));
      }
      catalog_.connection().get_notifs();
      while (!has_barrier() && !stop.woken()) {
        wait_for_socket(catalog_.connection().sock(), {&stop}, kProbeInterval);
        catalog_.connection().get_notifs();
      }
    });
  }

 private:
  bool has_barrier() const {
    for (auto it = queue_.rbegin(); it != queue_.rend(); ++it) {
      if (it->barrier) return true;
    }
    return false;
  }

  Catalog& catalog_;
  const std::string channel_;
  ChannelReceiver receiver_;
  const std::deque<Received>& queue_;
};

// A captured table as notifications name it, by oid.
struct NotifiedTable {
  const CapturedTable* table = nullptr;  // the pipeline's
  const std::vector<std::uint32_t>* key_types = nullptr;
};
using TablesByOid = std::unordered_map<std::uint32_t, NotifiedTable>;

// A notification that is not one of meowmx.pub_capture()'s.
class Malformed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

ChangeAction action_of(char letter) {
  switch (letter) {
    case 'w':
      return ChangeAction::kWrite;
    case 'u':
      return ChangeAction::kUpdate;
    case 'd':
      return ChangeAction::kDelete;
    case 't':
      return ChangeAction::kTruncate;
    default:
      throw Malformed(std::string("unknown action letter '") + letter + "'");
  }
}

// The texts of a key as sent: the JSON string of a value's text, an array
// of them for a composite key, [] for a truncate.
std::vector<std::string> key_texts(const nlohmann::json& sent) {
  if (sent.is_string()) return {sent.get<std::string>()};
  if (!sent.is_array()) throw Malformed("a key is neither a string nor an array");
  std::vector<std::string> texts;
  for (const auto& part : sent) {
    if (!part.is_string()) throw Malformed("a key part is not a string");
    texts.push_back(part.get<std::string>());
  }
  return texts;
}

// One notification of meowmx.pub_capture() (see sql/capture/postgres_triggers.sql):
// changes of one statement, or a piece of a key too long to go with them.
struct TriggerNotification {
  std::uint64_t xid = 0;
  std::uint32_t relid = 0;
  std::int64_t index = 0;  // of the first change, or of the change a piece is the key of

  std::vector<ChangeAction> actions;
  std::vector<std::optional<std::vector<std::string>>> keys;  // nullopt: sent in pieces

  struct Piece {
    int number = 0;
    int of = 0;
    std::string text;
  };
  std::optional<Piece> piece;
};

// Throws Malformed or nlohmann::json::exception.
TriggerNotification decode(const std::string& payload) {
  const auto message = nlohmann::json::parse(payload);
  TriggerNotification notification;
  notification.xid = message.at("xid").get<std::uint64_t>();
  notification.relid = message.at("relid").get<std::uint32_t>();
  notification.index = message.at("index").get<std::int64_t>();
  if (message.contains("piece")) {
    notification.piece = TriggerNotification::Piece{message.at("piece").get<int>(), message.at("of").get<int>(),
                                                    message.at("text").get<std::string>()};
    return notification;
  }
  const auto& actions = message.at("actions").get_ref<const std::string&>();
  const auto& keys = message.at("keys");
  if (!keys.is_array() || keys.size() != actions.size()) throw Malformed("actions and keys differ in number");
  for (const char letter : actions) notification.actions.push_back(action_of(letter));
  for (const auto& key : keys) {
    notification.keys.push_back(key.is_null() ? std::nullopt : std::optional(key_texts(key)));
  }
  return notification;
}

// Passes the notifications of one transaction after another to the
// pipeline, in order. A transaction is begun at its first notification of
// a captured table and committed at the next transaction or at end().
class TransactionFeed {
 public:
  TransactionFeed(Pipeline& pipeline, const TablesByOid& tables) : pipeline_(pipeline), tables_(tables) {}

  void add(TriggerNotification notification) {
    if (notification.xid != xid_) {
      end();
      xid_ = notification.xid;
    }
    const auto table = tables_.find(notification.relid);
    if (table == tables_.end()) return;  // another pub's table
    if (notification.piece) {
      add_piece(notification.index, std::move(*notification.piece));
    } else {
      add_changes(table->second, notification);
    }
  }

  // Commits the transaction in hand, if any.
  void end() {
    if (begun_) pipeline_.commit(XidPosition{xid_});
    begun_ = false;
    long_keys_.clear();
  }

 private:
  // A key too long to go with its change, as its pieces arrive.
  struct LongKey {
    std::string json;
    int pieces = 0;
    int of = 0;
  };

  void add_piece(std::int64_t index, TriggerNotification::Piece piece) {
    auto& key = long_keys_[index];
    if (piece.number != key.pieces) {
      logger().warn("the key of change {} of transaction {} arrived out of order", index, xid_);
    }
    key.json += piece.text;
    key.of = piece.of;
    ++key.pieces;
  }

  void add_changes(const NotifiedTable& table, const TriggerNotification& notification) {
    if (!begun_) {
      pipeline_.begin(XidPosition{xid_}, xid_, "");
      begun_ = true;
    }
    if (pipeline_.interest(*table.table) == Interest::kNone) return;
    for (std::size_t i = 0; i < notification.actions.size(); ++i) {
      ChangeEvent change;
      change.table = table.table;
      change.action = notification.actions[i];
      change.index = notification.index + static_cast<std::int64_t>(i);
      std::vector<std::string> sent_in_pieces;
      const auto& texts = notification.keys[i] ? *notification.keys[i] : (sent_in_pieces = long_key(change.index));
      for (const auto& text : texts) {
        const auto at = change.key.size();
        change.key.push_back(make_value(at < table.key_types->size() ? (*table.key_types)[at] : 0, text));
      }
      pipeline_.change(std::move(change));
    }
  }

  // The key sent in pieces for change `index`; empty, with a warning, when
  // its pieces did not all arrive.
  std::vector<std::string> long_key(std::int64_t index) {
    const auto found = long_keys_.find(index);
    try {
      if (found == long_keys_.end() || found->second.pieces != found->second.of) throw Malformed("pieces missing");
      auto texts = key_texts(nlohmann::json::parse(found->second.json));
      long_keys_.erase(found);
      return texts;
    } catch (const std::exception& e) {
      logger().warn("the key of change {} of transaction {} is lost: {}", index, xid_, e.what());
      return {};
    }
  }

  Pipeline& pipeline_;
  const TablesByOid& tables_;
  std::uint64_t xid_ = 0;
  bool begun_ = false;
  std::map<std::int64_t, LongKey> long_keys_;  // by the index of their change
};

// Feeds the pipeline everything in `queue` up to its last barrier, and
// removes that from the queue.
void feed_complete_transactions(std::deque<Received>& queue, TransactionFeed& feed) {
  auto end = queue.end();
  while (end != queue.begin() && !std::prev(end)->barrier) --end;
  for (auto it = queue.begin(); it != end; ++it) {
    if (it->barrier) continue;
    std::optional<TriggerNotification> notification;
    try {
      notification = decode(it->payload);
    } catch (const std::exception& e) {
      logger().warn("ignoring a notification on {} that is not meowmx's ({}): {:.200}", kTriggerChannel, e.what(),
                    it->payload);
      continue;
    }
    feed.add(std::move(*notification));
  }
  feed.end();
  queue.erase(queue.begin(), end);
}

}  // namespace

TriggerSource::TriggerSource(PostgresTriggerSource options)
    : options_(std::move(options)), tables_(parse_table_names(options_.tables)) {}

void TriggerSource::run(Pipeline& pipeline, const Waker& stop) {
  Catalog catalog(options_.dsn);
  const auto tables = catalog.resolve(tables_, false);
  StreamInfo stream{"postgres-trigger:" + catalog.database_id(), {}};
  for (const auto& table : tables) stream.tables.push_back(table.table);
  pipeline.open(stream);
  TablesByOid tables_by_oid;
  for (const auto& table : tables) {
    tables_by_oid[table.oid] = {pipeline.table(table.table.name.space, table.table.name.name), &table.key_types};
  }

  std::deque<Received> queue;
  // Listen before the triggers exist, so nothing they send is missed.
  auto [changes, barrier] = catalog.guarded("cannot LISTEN", [&] {
    return std::make_pair(std::make_unique<ChannelReceiver>(catalog.connection(), kTriggerChannel, false, queue),
                          std::make_unique<Barrier>(catalog, queue));
  });
  install_triggers(catalog, tables);
  streaming_ = true;
  logger().info("listening on {} for {} table(s)", kTriggerChannel, tables.size());

  TransactionFeed feed(pipeline, tables_by_oid);
  while (!stop.woken()) {
    // Leftovers came after the last barrier: another one tells whether they are complete.
    const bool readable = !queue.empty() || wait_for_socket(catalog.connection().sock(), {&stop}, kProbeInterval);
    if (stop.woken()) break;
    catalog.guarded("listening for changes", [&] { catalog.connection().get_notifs(); });
    // Readable without notifications (a notice, say): nothing to do. Idle
    // for a while: the barrier doubles as a check that the server is there.
    if (queue.empty() && readable) continue;
    barrier->pass(stop);
    feed_complete_transactions(queue, feed);
  }
  pipeline.drain();
}

}  // namespace meowmx::internal

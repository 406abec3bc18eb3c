// Aggregate: a helper base class for objects rebuilt from their events.
//
// A subclass implements apply() (and reset()), and changes itself only by
// record(), which applies the event at once and queues it as pending.
// Client::save(aggregate) appends the pending events at version(); on a
// VersionConflict the aggregate is left exactly as it was (same version,
// same pending events), so the caller can Client::load() it afresh and retry
// the command.
#ifndef MEOWMX_AGGREGATE_H_
#define MEOWMX_AGGREGATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "meowmx/event.h"

namespace meowmx {

class Aggregate {
 public:
  virtual ~Aggregate() = default;

  const std::string& type() const noexcept { return type_; }
  const std::string& id() const noexcept { return id_; }
  // Number of stored events this object reflects (the next expected version).
  std::int64_t version() const noexcept { return version_; }
  const std::vector<NewEvent>& pending_events() const noexcept { return pending_; }

 protected:
  Aggregate(std::string type, std::string id) : type_(std::move(type)), id_(std::move(id)) {}

  // Applies the event to this object and queues it for the next save. An
  // event given as json_text is applied as its parsed value and saved as its
  // text; text check_new_events() refuses throws InvalidArgument here.
  void record(NewEvent event);

  virtual void apply(const std::string& event_type, const nlohmann::json& data) = 0;
  // Back to the state before any event, called before a full reload.
  virtual void reset() = 0;

 private:
  friend class Client;
  void replace_with(const std::vector<RecordedEvent>& stored);
  void mark_saved(const std::vector<RecordedEvent>& recorded);

  std::string type_;
  std::string id_;
  std::int64_t version_ = 0;
  std::vector<NewEvent> pending_;
};

}  // namespace meowmx

#endif  // MEOWMX_AGGREGATE_H_

#include "meowmx/capture/change_event.h"

#include "meowmx/error.h"
#include "capture/postgres/identifiers.h"

namespace meowmx {

std::string_view to_string(ChangeAction action) {
  switch (action) {
    case ChangeAction::kWrite:
      return "write";
    case ChangeAction::kUpdate:
      return "update";
    case ChangeAction::kDelete:
      return "delete";
    case ChangeAction::kTruncate:
      return "truncate";
  }
  return "?";
}

ChangeAction parse_change_action(std::string_view text) {
  for (auto action : {ChangeAction::kWrite, ChangeAction::kUpdate, ChangeAction::kDelete,
                      ChangeAction::kTruncate}) {
    if (to_string(action) == text) return action;
  }
  throw InvalidArgument("unknown change action '" + std::string(text) +
                        "': expected write, update, delete or truncate");
}

std::string ChangeEvent::name() const { return table + "_" + std::string(to_string(action)); }

std::string ChangeEvent::raw_name() const { return name() + "_raw"; }

std::string pk_text(const nlohmann::json& pk) {
  if (pk.is_string()) return pk.get<std::string>();
  if (pk.is_null()) return "";
  return pk.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string text_line(std::string_view name, const nlohmann::json& pk) {
  if (pk.is_null()) return std::string(name);
  return std::string(name) + " " + pk_text(pk);
}

std::string text_line(const ChangeEvent& event) { return text_line(event.name(), event.pk); }

void to_json(nlohmann::json& out, const ChangeEvent& event) {
  out = {{"table", event.table}, {"action", to_string(event.action)}, {"pk", event.pk}};
  if (event.action == ChangeAction::kUpdate) {
    out["before"] = event.before;
    out["after"] = event.after;
  } else {
    out["values"] = event.values;
  }
  if (!event.unchanged_toast.empty()) out["unchanged_toast"] = event.unchanged_toast;
  out["position"] = event.position;
  out["xid"] = event.xid;
  out["commit_time"] = event.commit_time;
}

void from_json(const nlohmann::json& in, ChangeEvent& event) {
  try {
    event.table = in.at("table").get<std::string>();
    event.action = parse_change_action(in.at("action").get<std::string>());
    event.pk = in.at("pk");
    event.values = in.value("values", nlohmann::json());
    event.before = in.value("before", nlohmann::json());
    event.after = in.value("after", nlohmann::json());
    event.unchanged_toast = in.value("unchanged_toast", std::vector<std::string>());
    event.position = in.value("position", nlohmann::json());
    event.xid = in.value("xid", std::uint64_t{0});
    event.commit_time = in.value("commit_time", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string("not a change event: ") + e.what());
  }
}

std::string table_signal_prefix(std::string_view table) {
  return internal::TableName::parse(table).signal_prefix();
}

}  // namespace meowmx

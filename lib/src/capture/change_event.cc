#include "meowmx/capture/change_event.h"

#include <algorithm>

#include "common/json_string.h"
#include "meowmx/error.h"

namespace meowmx {
namespace {

constexpr ChangeAction kActions[] = {ChangeAction::kWrite, ChangeAction::kUpdate, ChangeAction::kDelete,
                                     ChangeAction::kTruncate};

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

void append_row(std::string& out, const std::optional<Row>& row) {
  if (row) {
    append_json(out, *row);
  } else {
    out += "null";
  }
}

}  // namespace

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
  for (auto action : kActions) {
    if (to_string(action) == text) return action;
  }
  throw InvalidArgument("unknown change action '" + std::string(text.substr(0, 40)) +
                        "': expected write, update, delete or truncate");
}

std::string ChangeEvent::name() const {
  std::string out = table->stem;
  out += '_';
  out += to_string(action);
  return out;
}

std::string key_json(const ChangeEvent& change) {
  std::string out;
  if (change.key.empty()) return "null";
  if (change.key.size() == 1) {
    change.key[0].append_json(out);
    return out;
  }
  out += '[';
  for (std::size_t i = 0; i < change.key.size(); ++i) {
    if (i > 0) out += ',';
    change.key[i].append_json(out);
  }
  out += ']';
  return out;
}

namespace {

// `text` as it is, or as a JSON string when `ambiguous` or when it holds a
// control character.
std::string bare_unless(std::string text, bool ambiguous) {
  if (!ambiguous && !has_control_characters(text)) return text;
  std::string escaped;
  internal::append_json_string(escaped, text);
  return escaped;
}

// A single text key that could be read as a JSON string or array, or as none.
bool ambiguous_text_key(std::string_view text) { return text.empty() || text.front() == '"' || text.front() == '['; }

// The event name of a line: a table named with a space would read as a name and a key.
std::string line_name(std::string name) {
  const bool spaced = name.find(' ') != std::string::npos;
  return bare_unless(std::move(name), spaced);
}

}  // namespace

std::string pk_text(const ChangeEvent& change) {
  if (change.key.size() != 1) return bare_unless(key_json(change), false);
  const Value& key = change.key[0];
  return bare_unless(key.text, key.kind == Value::Kind::kString && ambiguous_text_key(key.text));
}

std::string text_line(const ChangeEvent& change) {
  std::string line = line_name(change.name());
  if (change.action == ChangeAction::kTruncate) return line;
  line += ' ';
  line += pk_text(change);
  return line;
}

std::string text_line(std::string_view event, std::string_view pk) {
  std::string line = line_name(std::string(event));
  line += ' ';
  line += bare_unless(std::string(pk), ambiguous_text_key(pk));
  return line;
}

std::string to_json_text(const Transaction& transaction, const ChangeEvent& change) {
  std::string out = R"({"table":)";
  internal::append_json_string(out, change.table->stem);
  // MySQL's tables are told apart by database; PostgreSQL's stem says the schema.
  if (std::holds_alternative<BinlogPosition>(transaction.position)) {
    out += R"(,"database":)";
    internal::append_json_string(out, change.table->name.space);
  }
  out += R"(,"action":")";
  out += to_string(change.action);
  out += R"(","pk":)";
  out += key_json(change);
  if (change.action == ChangeAction::kUpdate) {
    out += R"(,"before":)";
    append_row(out, change.before);
    out += R"(,"after":)";
    append_row(out, change.after);
  } else {
    out += R"(,"values":)";
    append_row(out, change.values);
  }
  if (!change.unchanged_toast.empty()) {
    out += R"(,"unchanged_toast":[)";
    for (std::size_t i = 0; i < change.unchanged_toast.size(); ++i) {
      if (i > 0) out += ',';
      internal::append_json_string(out, change.unchanged_toast[i]);
    }
    out += ']';
  }
  out += R"(,"position":)";
  out += change_position_json(transaction.position, change.index);
  out += R"(,"xid":)";
  out += std::to_string(transaction.xid);
  out += R"(,"commit_time":)";
  internal::append_json_string(out, transaction.commit_time);
  out += '}';
  return out;
}

}  // namespace meowmx

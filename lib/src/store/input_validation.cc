#include "store/input_validation.h"

#include <charconv>
#include <cstdint>
#include <set>
#include <string>

#include "meowmx/error.h"

namespace meowmx::internal {
namespace {

constexpr std::size_t kMaxNameLength = 128;
constexpr std::size_t kMaxTextIdLength = 1024;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

bool is_canonical_bigint(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return false;
  if (text == "-0") return false;
  for (char c : digits) {
    if (!is_digit(c)) return false;
  }
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_valid_utf8(std::string_view text) {
  try {
    (void)nlohmann::json(std::string(text)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace

std::string excerpt(std::string_view value, std::size_t shown) {
  std::string out(value.substr(0, shown));
  if (value.size() > shown) out += "...";
  // Errors are printed on one line: show control and non-ASCII bytes as '?'.
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

void check_name(std::string_view what, std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && (is_letter(name[0]) || name[0] == '_');
  for (char c : name) {
    ok = ok && (is_letter(c) || is_digit(c) || c == '_' || c == '.' || c == ':' || c == '-');
  }
  if (!ok) {
    throw InvalidArgument("invalid " + std::string(what) + " '" + excerpt(name) +
                          "': use a letter or '_' then letters, digits, '_', '.', ':' or '-' "
                          "(at most 128)");
  }
}

bool is_canonical_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

void check_aggregate_id(AggregateIdType type, std::string_view id) {
  switch (type) {
    case AggregateIdType::kUuid:
      if (!is_canonical_uuid(id)) {
        throw InvalidArgument("invalid aggregate id '" + excerpt(id) +
                              "': expected a lowercase uuid like 0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10");
      }
      return;
    case AggregateIdType::kBigint:
      if (!is_canonical_bigint(id)) {
        throw InvalidArgument("invalid aggregate id '" + excerpt(id) +
                              "': expected a 64-bit integer without leading zeros or '+'");
      }
      return;
    case AggregateIdType::kText:
      if (id.empty() || id.size() > kMaxTextIdLength || id.find('\0') != std::string_view::npos ||
          !is_valid_utf8(id)) {
        throw InvalidArgument("invalid aggregate id '" + excerpt(id) +
                              "': expected 1 to 1024 bytes of UTF-8 text without NUL");
      }
      return;
  }
}

void check_new_events(const std::vector<NewEvent>& events) {
  if (events.empty()) throw InvalidArgument("nothing to save: the batch holds no events");
  std::set<std::string_view> event_ids;
  for (const NewEvent& event : events) {
    check_name("event type", event.event_type);
    if (event.json_text && !(event.json.is_object() && event.json.empty())) {
      throw InvalidArgument("event '" + event.event_type + "': give the payload as json or as json_text, not both");
    }
    if (event.metadata_text && !event.metadata.is_null()) {
      throw InvalidArgument("event '" + event.event_type +
                            "': give the metadata as metadata or as metadata_text, not both");
    }
    if (!event.json.is_object()) {
      throw InvalidArgument("event '" + event.event_type + "': json must be a JSON object, got " +
                            event.json.type_name());
    }
    if (!event.metadata.is_null() && !event.metadata.is_object()) {
      throw InvalidArgument("event '" + event.event_type +
                            "': metadata must be a JSON object or null, got " +
                            event.metadata.type_name());
    }
    if (event.event_id) {
      if (!is_canonical_uuid(*event.event_id)) {
        throw InvalidArgument("invalid event id '" + excerpt(*event.event_id) +
                              "': expected a lowercase uuid");
      }
      if (!event_ids.insert(*event.event_id).second) {
        throw InvalidArgument("event id " + *event.event_id + " appears twice in one batch");
      }
    }
  }
}

}  // namespace meowmx::internal

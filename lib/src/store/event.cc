#include "meowmx/event.h"

#include <algorithm>

namespace meowmx {
namespace {

void append_string(std::string& out, std::string_view text) {
  // Invalid UTF-8 (only a database in another encoding holds it) is replaced,
  // so a stream of lines never fails half-way.
  out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Checked JSON text holds tabs and line breaks only between tokens, where a
// space means the same.
void append_on_one_line(std::string& out, std::string_view json_text) {
  const std::size_t from = out.size();
  out += json_text;
  std::replace_if(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(),
                  [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
}

}  // namespace

nlohmann::json RecordedEvent::json() const {
  return json_text.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(json_text);
}

nlohmann::json RecordedEvent::metadata() const {
  return metadata_text.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(metadata_text);
}

std::string json_line(const RecordedEvent& event) {
  std::string line = R"({"aggregate_id":)";
  line.reserve(256 + event.json_text.size() + event.metadata_text.size());
  append_string(line, event.aggregate_id);
  line += R"(,"aggregate_type":)";
  append_string(line, event.aggregate_type);
  line += R"(,"created_at":)";
  append_string(line, event.created_at);
  line += R"(,"event_id":)";
  if (event.event_id) {
    append_string(line, *event.event_id);
  } else {
    line += "null";
  }
  line += R"(,"event_type":)";
  append_string(line, event.event_type);
  line += R"(,"id":)" + std::to_string(event.id) + R"(,"json":)";
  append_on_one_line(line, event.json_text.empty() ? "null" : event.json_text);
  line += R"(,"metadata":)";
  append_on_one_line(line, event.metadata_text.empty() ? "null" : event.metadata_text);
  line += R"(,"position":")" + event.position().to_string() + R"(","tx_id":)" + std::to_string(event.tx_id) +
          R"(,"version":)" + std::to_string(event.version) + "}";
  return line;
}

}  // namespace meowmx

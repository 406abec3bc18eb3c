#include "store/json_text.h"

#include <nlohmann/json.hpp>

#include "meowmx/error.h"
#include "store/input_validation.h"

namespace meowmx::internal {
namespace {

using Json = nlohmann::json;

std::string holds_nul(std::string_view what) {
  return std::string(what) + " holds a NUL character (\\u0000), which PostgreSQL's jsonb refuses";
}

std::string nested_too_deep(std::string_view what) {
  return std::string(what) + " is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
}

// nlohmann's SAX parser is iterative and hands over each number's original
// text, so checking builds no document and recurses nowhere, however deep
// the input.
class Checker final : public nlohmann::json_sax<Json> {
 public:
  Checker(JsonRoot root, std::string_view what) : root_(root), what_(what) {}
  // Empty while the text is acceptable.
  const std::string& error() const noexcept { return error_; }

  bool null() override { return scalar("null"); }
  bool boolean(bool) override { return scalar("a boolean"); }
  bool number_integer(number_integer_t) override { return scalar("a number"); }
  bool number_unsigned(number_unsigned_t) override { return scalar("a number"); }
  bool number_float(number_float_t, const string_t&) override { return scalar("a number"); }
  bool string(string_t& text) override { return scalar("a string") && no_nul(text); }
  bool binary(binary_t&) override { return scalar("binary"); }
  bool key(string_t& text) override { return no_nul(text); }
  bool start_object(std::size_t) override { return open("an object"); }
  bool start_array(std::size_t) override { return open("an array"); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
    if (e.id == 406) {  // out_of_range.406: a number beyond a double
      fail("number '" + excerpt(token) + "' in " + std::string(what_) +
           " is out of range: numbers are kept digit for digit, but their magnitude must stay within a "
           "double's (about 1.8e308)");
    } else {
      fail("malformed JSON in " + std::string(what_) + ": " + reason(e.what()));
    }
    return false;
  }

 private:
  bool scalar(const char* kind) {
    if (depth_ == 0) return root(kind, root_ == JsonRoot::kObjectOrNull && std::string_view(kind) == "null");
    return true;
  }
  bool open(const char* kind) {
    if (depth_ == 0 && !root(kind, std::string_view(kind) == "an object")) return false;
    if (++depth_ > kMaxJsonDepth) {
      fail(nested_too_deep(what_));
      return false;
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  bool root(const char* kind, bool allowed) {
    if (!allowed) {
      fail(std::string(what_) + " must be a JSON object" +
           (root_ == JsonRoot::kObjectOrNull ? " or null" : "") + ", got " + kind);
    }
    return allowed;
  }
  bool no_nul(const string_t& text) {
    if (text.find('\0') == string_t::npos) return true;
    fail(holds_nul(what_));
    return false;
  }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }
  // nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2:
  // syntax error while parsing value - invalid literal; last read: '...'",
  // without the prefix and the echo of the input.
  static std::string reason(std::string_view what) {
    if (const auto at = what.find("] "); at != std::string_view::npos) what.remove_prefix(at + 2);
    if (const auto echo = what.find("; last read"); echo != std::string_view::npos) what = what.substr(0, echo);
    return excerpt(what, 160);
  }

  JsonRoot root_;
  std::string_view what_;
  std::size_t depth_ = 0;
  std::string error_;
};

// Where the value starting at `at` ends (one past it); `text` is checked JSON.
std::size_t value_end(std::string_view text, std::size_t at) {
  std::size_t depth = 0;
  for (std::size_t i = at; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      if (depth == 0) return i + 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      return i;
    }
  }
  return text.size();
}

std::size_t skip_spaces(std::string_view text, std::size_t at) {
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r')) ++at;
  return at;
}

}  // namespace

void check_json_text(std::string_view text, JsonRoot root, std::string_view what) {
  // nlohmann skips a byte order mark; jsonb refuses it.
  if (text.starts_with("\xEF\xBB\xBF")) {
    throw InvalidArgument("malformed JSON in " + std::string(what) + ": it starts with a byte order mark");
  }
  Checker checker(root, what);
  const bool ok = Json::sax_parse(text, &checker, nlohmann::detail::input_format_t::json, true);
  if (!ok || !checker.error().empty()) {
    throw InvalidArgument(checker.error().empty() ? "malformed JSON in " + std::string(what) : checker.error());
  }
}

bool is_json_null(std::string_view text) {
  const std::size_t begin = skip_spaces(text, 0);
  return text.substr(begin, 4) == "null" && skip_spaces(text, begin + 4) == text.size();
}

void check_dumped_json(std::string_view dumped, std::string_view what) {
  std::size_t depth = 0;
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const char c = dumped[i];
    if (c == '"') {
      for (++i; dumped[i] != '"'; ++i) {
        if (dumped[i] != '\\') continue;
        if (dumped.substr(i, 6) == "\\u0000") {
          throw InvalidArgument(holds_nul(what));
        }
        ++i;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) throw InvalidArgument(nested_too_deep(what));
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

std::vector<std::pair<std::string, std::string_view>> object_members(std::string_view object_text) {
  std::vector<std::pair<std::string, std::string_view>> members;
  std::size_t at = skip_spaces(object_text, 0) + 1;  // past '{'
  for (at = skip_spaces(object_text, at); at < object_text.size() && object_text[at] == '"';) {
    const std::size_t key_end = value_end(object_text, at);
    std::string key = Json::parse(object_text.substr(at, key_end - at)).get<std::string>();
    const std::size_t value_begin = skip_spaces(object_text, skip_spaces(object_text, key_end) + 1);  // ':'
    const std::size_t end = value_end(object_text, value_begin);
    members.emplace_back(std::move(key), object_text.substr(value_begin, end - value_begin));
    at = skip_spaces(object_text, end);
    if (at < object_text.size() && object_text[at] == ',') at = skip_spaces(object_text, at + 1);
  }
  return members;
}

}  // namespace meowmx::internal

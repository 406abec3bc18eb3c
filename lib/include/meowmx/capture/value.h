// Value: one column value of a captured row, kept as the exact text its
// source sent (PostgreSQL's output form of the type), so no digit, key or
// character is lost on the way to a sink. The kind only says how the text
// goes into JSON.
#ifndef MEOWMX_CAPTURE_VALUE_H_
#define MEOWMX_CAPTURE_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace meowmx {

struct Value {
  enum class Kind : std::uint8_t {
    kNull,
    kString,   // any text: a JSON string
    kNumber,   // an integer or a finite float in JSON number syntax, verbatim
    kBoolean,  // "true" or "false"
    kJson,     // a json or jsonb value's text, verbatim
  };
  Kind kind = Kind::kNull;
  std::string text;  // empty for kNull

  // Appends the value as JSON: strings quoted and escaped (invalid UTF-8
  // replaced by U+FFFD), everything else verbatim, null for kNull.
  void append_json(std::string& out) const;

  bool operator==(const Value&) const = default;
};

struct Field {
  std::string name;
  Value value;

  bool operator==(const Field&) const = default;
};

// A row in column order.
using Row = std::vector<Field>;

// Appends the row as a JSON object of its fields in column order.
void append_json(std::string& out, const Row& row);

}  // namespace meowmx

#endif  // MEOWMX_CAPTURE_VALUE_H_

#include "meowmx/capture/value.h"

#include "common/json_string.h"

namespace meowmx {

void Value::append_json(std::string& out) const {
  switch (kind) {
    case Kind::kNull:
      out += "null";
      break;
    case Kind::kString:
      internal::append_json_string(out, text);
      break;
    case Kind::kNumber:
    case Kind::kBoolean:
    case Kind::kJson:
      out += text;
      break;
  }
}

void append_json(std::string& out, const Row& row) {
  out += '{';
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    internal::append_json_string(out, row[i].name);
    out += ':';
    row[i].value.append_json(out);
  }
  out += '}';
}

}  // namespace meowmx

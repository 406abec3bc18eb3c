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

}  // namespace meowmx

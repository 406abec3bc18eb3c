#include "common/uuid5.h"

#include <uuid/uuid.h>

#include "meowmx/error.h"

namespace meowmx::internal {

std::string uuid5(std::string_view name_space, std::string_view name) {
  uuid_t space;
  if (uuid_parse(std::string(name_space).c_str(), space) != 0) {
    throw InvalidArgument("not a UUID namespace: '" + std::string(name_space.substr(0, 40)) + "'");
  }
  uuid_t id;
  uuid_generate_sha1(id, space, name.data(), name.size());
  char text[UUID_STR_LEN];
  uuid_unparse_lower(id, text);
  return text;
}

}  // namespace meowmx::internal

// UUIDv5 (RFC 4122 §4.3): a name-based UUID from SHA-1, so the same name
// always gives the same id. The log sink derives its event ids this way.
#ifndef MEOWMX_SRC_COMMON_UUID5_H_
#define MEOWMX_SRC_COMMON_UUID5_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

// Lowercase canonical form, by libuuid's uuid_generate_sha1(); `name_space`
// is a canonical UUID (InvalidArgument otherwise).
std::string uuid5(std::string_view name_space, std::string_view name);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_UUID5_H_

// Base64 (RFC 4648, with padding): how binary values travel in JSON.
#ifndef MEOWMX_SRC_COMMON_BASE64_H_
#define MEOWMX_SRC_COMMON_BASE64_H_

#include <string>
#include <string_view>

namespace meowmx::internal {

std::string base64_encode(std::string_view bytes);

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_COMMON_BASE64_H_

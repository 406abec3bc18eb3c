#include "capture/postgres/values.h"

namespace meowmx::internal {
namespace {

// Type oids (pg_type.h) whose text form is a JSON value of its own.
constexpr std::uint32_t kBool = 16;
constexpr std::uint32_t kInt8 = 20;
constexpr std::uint32_t kInt2 = 21;
constexpr std::uint32_t kInt4 = 23;
constexpr std::uint32_t kOid = 26;
constexpr std::uint32_t kJson = 114;
constexpr std::uint32_t kFloat4 = 700;
constexpr std::uint32_t kFloat8 = 701;
constexpr std::uint32_t kJsonb = 3802;

// NaN, Infinity and -Infinity have no JSON number form.
bool is_finite_float(std::string_view text) {
  return !text.empty() && text.find_first_of("NI") == std::string_view::npos;
}

}  // namespace

Value make_value(std::uint32_t type_oid, std::string_view text) {
  switch (type_oid) {
    case kBool:
      return {Value::Kind::kBoolean, text == "t" ? "true" : "false"};
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      return {Value::Kind::kNumber, std::string(text)};
    case kFloat4:
    case kFloat8:
      return {is_finite_float(text) ? Value::Kind::kNumber : Value::Kind::kString, std::string(text)};
    case kJson:
    case kJsonb:
      return {Value::Kind::kJson, std::string(text)};
    default:
      return {Value::Kind::kString, std::string(text)};
  }
}

}  // namespace meowmx::internal

#include "meowmx/options.h"

#include <string>

#include "meowmx/error.h"

namespace meowmx {

std::string_view to_string(AggregateIdType type) {
  switch (type) {
    case AggregateIdType::kUuid: return "uuid";
    case AggregateIdType::kText: return "text";
    case AggregateIdType::kBigint: return "bigint";
  }
  return "uuid";
}

AggregateIdType parse_aggregate_id_type(std::string_view text) {
  if (text == "uuid") return AggregateIdType::kUuid;
  if (text == "text") return AggregateIdType::kText;
  if (text == "bigint") return AggregateIdType::kBigint;
  throw InvalidArgument("unknown aggregate id type '" + std::string(text) +
                        "': choose uuid, text or bigint");
}

}  // namespace meowmx

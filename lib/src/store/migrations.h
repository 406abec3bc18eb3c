// The numbered SQL migrations of sql/, embedded at build time.
#ifndef MEOWMX_SRC_STORE_MIGRATIONS_H_
#define MEOWMX_SRC_STORE_MIGRATIONS_H_

#include <string_view>
#include <vector>

namespace meowmx::internal {

struct Migration {
  int number;
  std::string_view name;
  std::string_view sql;
};

// In ascending number order; generated from sql/ by cmake/embed_sql.cmake.
const std::vector<Migration>& migrations();

}  // namespace meowmx::internal

#endif  // MEOWMX_SRC_STORE_MIGRATIONS_H_

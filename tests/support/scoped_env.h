// Environment variables for one scope: set (or unset) on construction, put
// back as they were on destruction. Child processes started meanwhile (the
// CLI runner's) inherit them.
#ifndef MEOWMX_TESTS_SUPPORT_SCOPED_ENV_H_
#define MEOWMX_TESTS_SUPPORT_SCOPED_ENV_H_

#include <optional>
#include <string>

namespace meowmx::testing {

class ScopedEnv {
 public:
  // `value` nullopt unsets the variable.
  ScopedEnv(std::string name, const std::optional<std::string>& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SCOPED_ENV_H_

// TempDir: a folder of our own under the system temp dir, removed with
// everything in it when the object goes. Servers that run as another user
// (postgres, mysql, redis) may traverse it; they get their own folder inside.
#ifndef MEOWMX_TESTS_SUPPORT_SERVERS_TEMP_DIR_H_
#define MEOWMX_TESTS_SUPPORT_SERVERS_TEMP_DIR_H_

#include <filesystem>
#include <string>

namespace meowmx::testing {

class TempDir {
 public:
  // Named /tmp/<prefix>-XXXXXX. Throws meowmx::Error when it cannot be made.
  explicit TempDir(const std::string& prefix = "meowmx");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_SERVERS_TEMP_DIR_H_

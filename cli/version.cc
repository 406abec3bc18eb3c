#include "version.h"

#include <iostream>

#include <libpq-fe.h>

#include "connect.h"
#include "git_revision.h"
#include "meowmx/error.h"

namespace meowmx::cli {
namespace {

// PostgreSQL's numeric versions: 150020 is 15.20 (10 and later), 90624 is 9.6.24.
std::string version_text(int number) {
  if (number >= 100000) return std::to_string(number / 10000) + "." + std::to_string(number % 10000);
  return std::to_string(number / 10000) + "." + std::to_string(number / 100 % 100) + "." +
         std::to_string(number % 100);
}

}  // namespace

int print_version(const GlobalOptions& global) {
  std::cout << "meowmx " << MEOWMX_VERSION << " (git " << MEOWMX_GIT_REVISION << ")\n"
            << "libpq " << version_text(PQlibVersion()) << std::endl;
  try {
    Client client = connect(global);
    auto& connection = client.connection();
    std::cout << "server PostgreSQL " << version_text(connection.server_version()) << " at "
              << connection.hostname() << ":" << connection.port() << "/" << connection.dbname() << "\n";
  } catch (const Error& e) {
    std::cout << "server: not connected (" << e.what() << ")\n";
  }
  return 0;
}

}  // namespace meowmx::cli

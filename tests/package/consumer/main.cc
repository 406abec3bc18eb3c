// Uses the installed headers (C++20: positions compare with <=>, subscriptions
// stop by std::stop_token) and links the library and its dependencies (libpqxx
// and libpq through a Client refusing a DSN libpq cannot parse).
#include <iostream>
#include <stop_token>

#include <meowmx/meowmx.h>

int main() {
  const auto position = meowmx::Position::parse("725:1");
  if (!(meowmx::Position::beginning() < position)) return 1;
  std::stop_source stop;
  meowmx::ClientOptions options;
  options.dsn = "postgresql://u:secret@[::1";
  try {
    meowmx::Client client(options);
    return 1;
  } catch (const meowmx::InvalidArgument& e) {
    std::cout << "consumer ok: " << position.to_string() << ", " << e.what() << "\n";
  }
  return stop.stop_requested() ? 1 : 0;
}

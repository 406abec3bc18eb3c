#include <cstdlib>
#include <iostream>

#include <meowmx/meowmx.h>

int main() {
  const char* dsn = std::getenv("MEOWMX_DSN");  // e.g. from `meowmx dev-db url`
  if (!dsn || !*dsn) {
    std::cerr << "set MEOWMX_DSN, e.g. export MEOWMX_DSN=$(build/meowmx dev-db url)\n";
    return 2;
  }
  meowmx::ClientOptions options;
  options.dsn = dsn;
  meowmx::Client client(options);  // connects; throws meowmx::ConnectionError
  client.setup();  // idempotent

  const std::string id = "0b5e7f5c-6a2e-4c1b-9a47-3d1c2e8f9a10";
  try {
    // Expects a new aggregate (0 events stored): the event gets version 0.
    client.save("order", id, {{.event_type = "OrderCreated", .json = {{"total", 42}}}}, 0);
  } catch (const meowmx::VersionConflict& e) {
    // A second run lands here: the order already holds e.actual() events.
    std::cerr << e.what() << "\n";
  }

  for (const meowmx::RecordedEvent& event : client.load("order", id)) {
    // json_text is the payload as JSON text; json() parses it (on each call).
    std::cout << event.version << " " << event.event_type << " total=" << event.json().at("total") << "\n";
  }

  // The global log, page by page, from a position you keep.
  meowmx::ReadOptions read{.categories = {"order"}, .limit = 100};
  for (auto page = client.read(read); !page.empty(); page = client.read(read)) {
    for (const auto& event : page) std::cout << event.position().to_string() << "\n";
    read.after = page.back().position();
  }

  // A subscription: batches after its checkpoint. The checkpoint commits in the transaction
  // the handler receives, together with whatever the handler writes through it.
  meowmx::SubscriptionOptions sub;
  sub.categories = {"order"};
  sub.stop_when_caught_up = true;  // return instead of waiting for more
  client.subscribe("order-printer", sub,
                   meowmx::for_each_event([](const meowmx::RecordedEvent& event, pqxx::work&) {
                     std::cout << event.event_type << " " << event.aggregate_id << "\n";
                   }));
}

// A read-model builder: keeps the table `shop_orders` current from the
// `shop_order` events of the log, with exactly-once effects. Its own
// aggregate type and table, so it works beside the demo's `order` events and
// the other examples' tables.
//
//   order_read_model place N    appends OrderCreated (and for every other
//                               order OrderShipped) for N new orders
//   order_read_model run        runs the worker until Ctrl-C
//
// The DSN comes from $MEOWMX_DSN. Exactly-once: the handler writes the
// shop_orders row through the subscription's transaction, which also commits the
// checkpoint, so a crash anywhere leaves both or neither. The `version`
// column guards against applying an event twice or out of order.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <stop_token>
#include <string>
#include <thread>

#include <pqxx/pqxx>

#include "meowmx/meowmx.h"

namespace {

std::string random_uuid() {
  static std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : id) {
    if (c == 'x') c = hex[rng() % 16];
  }
  return id;
}

void place_orders(meowmx::Client& client, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string id = random_uuid();
    std::vector<meowmx::NewEvent> events = {
        {"OrderCreated", {{"customer", "customer-" + std::to_string(i % 7)}, {"total_cents", 100 * (i + 1)}},
         nullptr, std::nullopt}};
    if (i % 2 == 0) events.push_back({"OrderShipped", {{"carrier", "cat-express"}}, nullptr, std::nullopt});
    client.save("shop_order", id, events, 0);
  }
  std::cout << "placed " << count << " orders\n";
}

// One event applied to the read model, inside the subscription's transaction.
void apply(const meowmx::RecordedEvent& event, pqxx::work& tx) {
  if (event.event_type == "OrderCreated") {
    const nlohmann::json order = event.json();
    tx.exec_params(
        "INSERT INTO shop_orders (id, customer, total_cents, status, version) VALUES ($1, $2, $3, 'created', $4)"
        " ON CONFLICT (id) DO NOTHING",
        event.aggregate_id, order.at("customer").get<std::string>(), order.at("total_cents").get<long long>(),
        event.version);
  } else if (event.event_type == "OrderShipped") {
    const auto updated = tx.exec_params(
        "UPDATE shop_orders SET status = 'shipped', carrier = $2, version = $3 WHERE id = $1 AND version = $3 - 1",
        event.aggregate_id, event.json().value("carrier", ""), event.version);
    // A gap would mean a lost event: fail loudly rather than build a wrong model.
    if (updated.affected_rows() != 1) throw std::runtime_error("order " + event.aggregate_id + " out of step");
  }
  // Unknown event types are history we do not model: skip them.
}

void run_worker(meowmx::Client& client) {
  pqxx::nontransaction(client.connection()).exec0(
      "CREATE TABLE IF NOT EXISTS shop_orders (id text PRIMARY KEY, customer text NOT NULL,"
      " total_cents bigint NOT NULL, status text NOT NULL, carrier text, version bigint NOT NULL)");
  // Ctrl-C or SIGTERM asks the worker to finish its batch and return.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::stop_source stop;
  std::thread([signals, &stop]() mutable {
    int received = 0;
    sigwait(&signals, &received);
    stop.request_stop();
  }).detach();

  meowmx::SubscriptionOptions options;
  options.categories = {"shop_order"};
  options.batch_size = 500;
  std::cout << "building the shop_orders read model; Ctrl-C to stop\n";
  client.subscribe("shop-orders-read-model", options, meowmx::for_each_event(apply), stop.get_token());
}

}  // namespace

int main(int argc, char** argv) {
  const char* dsn = std::getenv("MEOWMX_DSN");
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "place" && mode != "run") {
    std::cerr << "usage: order_read_model place N | run   (with MEOWMX_DSN set)\n";
    return 2;
  }
  if (!dsn || !*dsn) {
    std::cerr << "order_read_model: set MEOWMX_DSN, e.g. export MEOWMX_DSN=$(build/meowmx dev-db url)\n";
    return 2;
  }
  try {
    meowmx::Client client(meowmx::ClientOptions{dsn});
    client.setup();
    if (mode == "place") {
      place_orders(client, argc > 2 ? std::atoi(argv[2]) : 10);
    } else {
      run_worker(client);
    }
    return 0;
  } catch (const meowmx::Error& e) {
    std::cerr << "order_read_model: " << e.what() << "\n";
    return e.exit_code();
  }
}

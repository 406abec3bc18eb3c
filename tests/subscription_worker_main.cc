// The worker process of the subscription stress test (subscription_stress_test.cc):
//
//   subscription_stress_worker DSN SUBSCRIPTION GROUP_MEMBER GROUP_SIZE BATCH_SIZE
//
// Runs Client::subscribe() until SIGTERM or SIGINT, writing an exactly-once
// read model through the batch's transaction:
//   stress_delivered  one row per delivered event, primary key (subscription,
//                     event_id): a second delivery fails the handler;
//   stress_versions   the last version per aggregate: an event whose version
//                     is not the previous one + 1 fails the handler.
// A handler that keeps failing ends in HandlerFailed: exit 3, so the test sees
// it. While the database cannot be reached at start, it keeps trying.
// Exit codes: 0 stopped by a signal, 1 other error, 2 bad arguments, 3 handler failed.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "meowmx/meowmx.h"

namespace {

std::stop_source& stop_source() {
  static std::stop_source source;
  return source;
}

void stop_on_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int received = 0;
    sigwait(&signals, &received);
    stop_source().request_stop();
  }).detach();
}

void handle(const std::string& subscription, int member, const meowmx::RecordedEvent& event, pqxx::work& tx) {
  const auto advanced = tx.exec_params(
      "UPDATE stress_versions SET version = $4 WHERE subscription = $1 AND aggregate_type = $2"
      " AND aggregate_id = $3 AND version = $4 - 1",
      subscription, event.aggregate_type, event.aggregate_id, event.version);
  if (advanced.affected_rows() == 0) {
    if (event.version != 0) {
      const auto previous = tx.exec_params(
          "SELECT version FROM stress_versions WHERE subscription = $1 AND aggregate_type = $2 AND aggregate_id = $3",
          subscription, event.aggregate_type, event.aggregate_id);
      throw std::runtime_error("out of order: " + event.aggregate_type + "/" + event.aggregate_id + " version " +
                               std::to_string(event.version) + " (event " + event.position().to_string() +
                               ") after version " +
                               (previous.empty() ? std::string("none") : previous[0][0].as<std::string>()));
    }
    // Fails with a unique violation when version 0 was delivered already.
    tx.exec_params0(
        "INSERT INTO stress_versions (subscription, aggregate_type, aggregate_id, version) VALUES ($1, $2, $3, 0)",
        subscription, event.aggregate_type, event.aggregate_id);
  }
  // Fails with a unique violation on a second delivery.
  tx.exec_params0(
      "INSERT INTO stress_delivered (subscription, event_id, tx_id, member, worker_pid)"
      " VALUES ($1, $2, $3::xid8, $4, $5)",
      subscription, event.id, std::to_string(event.tx_id), member, static_cast<int>(getpid()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DSN SUBSCRIPTION GROUP_MEMBER GROUP_SIZE BATCH_SIZE\n", argv[0]);
    return 2;
  }
  const char* level = std::getenv("MEOWMX_TEST_LOG_LEVEL");
  spdlog::set_level(spdlog::level::from_str(level ? level : "error"));
  stop_on_signals();

  meowmx::ClientOptions client_options;
  client_options.dsn = argv[1];
  client_options.application_name = "stress-worker";
  const std::string subscription = argv[2];
  meowmx::SubscriptionOptions options;
  options.group_member = std::atoi(argv[3]);
  options.group_size = std::atoi(argv[4]);
  options.batch_size = std::atoi(argv[5]);
  options.max_sleep = std::chrono::milliseconds(1000);
  options.max_reconnect_backoff = std::chrono::milliseconds(500);
  options.retry.max_attempts = 20;
  options.retry.initial_backoff = std::chrono::milliseconds(5);
  options.retry.max_backoff = std::chrono::milliseconds(100);
  const int member = options.group_member;

  const auto stop = stop_source().get_token();
  while (!stop.stop_requested()) {
    try {
      meowmx::Client client(client_options);
      client.subscribe(subscription, options, meowmx::for_each_event([&](const meowmx::RecordedEvent& e, pqxx::work& tx) {
                         handle(subscription, member, e, tx);
                       }),
                       stop);
      return 0;
    } catch (const meowmx::ConnectionError& e) {
      // The server is down (the test restarts it): try again shortly.
      spdlog::info("worker {}: {}", getpid(), e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } catch (const meowmx::HandlerFailed& e) {
      std::fprintf(stderr, "stress worker %d (%s member %d): handler failed: %s\n", getpid(), subscription.c_str(),
                   member, e.what());
      return 3;
    } catch (const meowmx::InvalidArgument& e) {
      std::fprintf(stderr, "stress worker %d: %s\n", getpid(), e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "stress worker %d (%s member %d): %s\n", getpid(), subscription.c_str(), member,
                   e.what());
      return 1;
    }
  }
  return 0;
}

// The test harness: each test binary starts its own throwaway PostgreSQL
// (initdb in a temp dir, wal_level=logical, a free loopback port) on first
// use and stops it by pid when the binary exits. Tests never share state:
// each asks for a fresh database.
#ifndef MEOWMX_TESTS_SUPPORT_TEST_CLUSTER_H_
#define MEOWMX_TESTS_SUPPORT_TEST_CLUSTER_H_

#include <optional>
#include <string>

#include "meowmx/dev_cluster.h"
#include "meowmx/options.h"

namespace meowmx::testing {

// The binary's cluster, started on first call.
DevCluster& cluster();

struct DatabaseOptions {
  bool setup = true;                               // run Client::setup() in it
  std::optional<AggregateIdType> aggregate_id_type;  // for that set-up
};

// Creates a new, uniquely named database on the cluster and returns its DSN.
std::string fresh_database(const DatabaseOptions& options = {});

// DSN of the cluster's `postgres` database, for administrative statements.
std::string admin_dsn();

}  // namespace meowmx::testing

#endif  // MEOWMX_TESTS_SUPPORT_TEST_CLUSTER_H_

// redis_writer: a writer with prepare-commit, for the tests that kill one at
// an exact moment. Inserts rows into `orders` in one transaction, prints its
// session id, and SIGKILLs itself after the step named (or never).
//
//   redis_writer DSN REDIS_URL NAMESPACE STORE_NAMESPACE prepared|db_committed|none ID...
#include <signal.h>

#include <cstdio>
#include <string>

#include <pqxx/pqxx>

#include "meowmx/redis_store.h"

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: redis_writer DSN REDIS_URL NAMESPACE STORE_NAMESPACE CRASH_AFTER ID...\n");
    return 2;
  }
  const std::string crash_after = argv[5];
  meowmx::PrepareCommitOptions options;
  options.store.connection.url = argv[2];
  options.namespace_pattern = argv[3];
  options.store.namespace_pattern = argv[4];
  options.on_step = [&](meowmx::CommitStep step) {
    if ((crash_after == "prepared" && step == meowmx::CommitStep::kPrepared) ||
        (crash_after == "db_committed" && step == meowmx::CommitStep::kDatabaseCommitted)) {
      raise(SIGKILL);
    }
  };
  meowmx::PrepareCommit records(options);
  pqxx::connection connection(argv[1]);
  meowmx::WriterTransaction tx(records, connection);
  std::printf("%s\n", tx.session_id().c_str());
  std::fflush(stdout);
  for (int i = 6; i < argc; ++i) {
    tx.work().exec_params0("INSERT INTO orders (id) VALUES ($1::bigint)", argv[i]);
    tx.touched("orders", meowmx::ChangeAction::kWrite, argv[i]);
  }
  tx.commit();
  return 0;
}

// meowmx_bench's subscription cases: catch-up throughput (catchup_b100,
// catchup_b1000) and wake-up latency (latency_p50, latency_p99). See README.md.
#ifndef MEOWMX_BENCH_SUBSCRIPTION_CASES_H_
#define MEOWMX_BENCH_SUBSCRIPTION_CASES_H_

#include "bench_support.h"

namespace meowmx_bench {

// Runs the cases options.filter selects. Each one starts from truncated tables.
void run_subscription_cases(const BenchOptions& options, const Target& target,
                            BenchTables& tables);

}  // namespace meowmx_bench

#endif  // MEOWMX_BENCH_SUBSCRIPTION_CASES_H_

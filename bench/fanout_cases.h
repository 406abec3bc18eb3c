// meowmx_bench's fan-out cases: many live subscriptions in one process, a
// writer saving to one category (fanout_200), or to the one category all of
// them read (fanout_50). See README.md.
#ifndef MEOWMX_BENCH_FANOUT_CASES_H_
#define MEOWMX_BENCH_FANOUT_CASES_H_

#include "bench_support.h"

namespace meowmx_bench {

// Runs the cases options.filter selects. Each one starts from truncated tables.
void run_fanout_cases(const BenchOptions& options, const Target& target, BenchTables& tables);

}  // namespace meowmx_bench

#endif  // MEOWMX_BENCH_FANOUT_CASES_H_

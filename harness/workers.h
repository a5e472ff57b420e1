// Workers: the workload's logical processes during one test. Each worker thread is one client
// slot drawing operations from the shared generator and recording each invocation and completion
// in the history; a process whose operation ends unknown is replaced by a fresh process id and a
// fresh client (Jepsen's rule). Afterwards, the final reads. Owned by the runner's TestRun; Run and
// FinalReads are called from one thread, one after the other; Latencies() after Run returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "harness/run_clock.h"
#include "harness/systems/system.h"
#include "records/history_writer.h"
#include "workloads/client.h"
#include "workloads/generator.h"
#include "workloads/workload.h"

namespace splitbrain::harness {

class Workers {
 public:
  // Every reference must outlive the Workers.
  Workers(System& system, workloads::Workload& workload, records::HistoryWriter& history,
          RunClock& clock)
      : system_(system), workload_(workload), history_(history), clock_(clock) {}

  // Runs `concurrency` processes (ids 0..concurrency-1 first) until `gen` is exhausted or the
  // clock is interrupted; each operation gets `op_timeout`. Returns when every worker has ended
  // (within one op timeout of the generator's end).
  void Run(workloads::GenPtr gen, int concurrency, std::chrono::milliseconds op_timeout);

  // The workload's final reads, each retried (on fresh processes after an unknown) until ok or
  // `recovery_ns` has passed.
  void FinalReads(int64_t recovery_ns);

  // Latencies (ns) of the ok operations the workers ran.
  std::vector<int64_t> Latencies() const;

 private:
  void Worker(int slot, std::chrono::milliseconds op_timeout);
  // Records one operation of `st.process`: its invocation, what `client` made of it, its
  // completion; ok latencies go to `latencies` when given.
  workloads::Completion RunOp(workloads::Client& client, workloads::ProcessState& st,
                              const workloads::Op& op, std::chrono::milliseconds timeout,
                              std::vector<int64_t>* latencies);

  System& system_;
  workloads::Workload& workload_;
  records::HistoryWriter& history_;
  RunClock& clock_;

  std::mutex gen_mu_;
  workloads::GenPtr gen_;     // GUARDED_BY(gen_mu_)
  int in_flight_ = 0;         // GUARDED_BY(gen_mu_)
  int64_t next_process_ = 0;  // GUARDED_BY(gen_mu_)

  mutable std::mutex lat_mu_;
  std::vector<int64_t> latencies_ns_;  // GUARDED_BY(lat_mu_)
};

}  // namespace splitbrain::harness

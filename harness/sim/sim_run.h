// SimulateTest: one test of a plan run in deterministic simulation (issue 18) — the plan's
// workload generator, nemesis timeline, node flags and checkers, against splitbrain-node's state
// machine (sim_node.h) over the simulator's raft cores (raft/sim/cluster.h), in simulated time:
// one thread, no sockets, no clocks in the loop. The run is a pure function of (plan, seed):
// history.jsonl and nemesis.jsonl are the same bytes for the same seed. The run directory is an
// ordinary store entry (results.json and the report say `simulated`). Stateless functions; one
// simulation per call, any number of calls on different threads.
#pragma once

#include <cstdint>
#include <string>

#include "harness/plan.h"
#include "harness/summary.h"

namespace splitbrain::harness::sim {

// Why `plan` cannot be simulated, "FILE:LINE: FIELD: why" (the test's line); empty when it can.
// Refused: systems other than splitbrain ("it is not splitbrain's own code"), hosts, workloads
// other than register, set and counter, faults and node flags the simulator does not have yet,
// checkers that read the nodes' event logs (raft-invariants excepted: the simulator checks it
// after every unit).
std::string SimUnsupportedReason(const TestPlan& plan);

struct SimOptions {
  std::string store = "store";
  // false: no report.html / junit.xml (a sweep writes them only for the runs it keeps).
  bool write_report = true;
  // false: a run found valid leaves no history.jsonl (a sweep removes its directory anyway;
  // writing ~0.6 MB a seed of quick.yaml only to delete it was a tenth of the kernel's time).
  // The checkers read the history from memory; a run not valid always writes it.
  bool write_valid_history = true;
  // Every Raft message encoded and decoded by the node's wire codec (raft/codec.h) on its way,
  // as splitbrain-node sends it. The codec is lossless (raft/codec_test; harness_sim_test's
  // SameSeedSameHistoryByteForByteAnotherSeedAnother runs a seed both ways), so the run is the
  // same bytes either way; off it costs about a seventh less (README.md "Speed").
  bool wire_codec = false;
};

struct SimOutcome {
  TestOutcome outcome;     // as `splitbrain run` makes it; outcome.seed is the seed run
  double simulated_s = 0;  // simulated time the run covered
  double wall_s = 0;       // wall time it took (simulation, store and checkers)
  double sim_wall_s = 0;   // wall time of the simulation alone (no checkers, no report)
  std::string violation;   // the first Raft invariant violated (empty: none)
  uint64_t configuration_changes = 0;  // membership changes applied (removals, additions)
};

// Runs `plan` (plan.seed must be set) in simulation into `options.store`. Never throws; a plan
// SimUnsupportedReason refuses ends unknown (exit 2) saying why, without a run directory.
SimOutcome SimulateTest(const TestPlan& plan, const SimOptions& options);

}  // namespace splitbrain::harness::sim

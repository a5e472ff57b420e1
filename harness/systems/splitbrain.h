// The splitbrain-node adapter: each member runs `splitbrain-node` (node/README.md) with its event
// log in nodes/<id>/events.jsonl (read by raft-invariants and term-churn). Beyond the shared
// process faults it supports clock skew (members start under libfaketime when the plan has
// clock faults) and membership changes through the node's admin API.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/systems/system.h"

namespace splitbrain::harness {

SystemAdapter SplitbrainAdapter();

// The --seed a member gets for its `start`-th start (0-based), derived from the run's seed: a
// run's seed fixes every node's election timeouts and failpoint rolls, and no two members or
// starts share a sequence.
uint64_t NodeSeed(uint64_t run_seed, int member_index, int start);

// splitbrain-node: next to this program, in ../node/ (a build tree), or in PATH; empty when
// none is found.
std::string FindNodeBinary();

}  // namespace splitbrain::harness

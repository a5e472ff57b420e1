// The splitbrain-node adapter: each member runs `splitbrain-node` (node/README.md) with its event
// log in nodes/<id>/events.jsonl (read by raft-invariants and term-churn). Beyond the shared
// process faults it supports clock skew (members start under libfaketime when the plan has
// clock faults) and membership changes through the node's admin API.
#pragma once

#include <memory>
#include <string>

#include "harness/systems/system.h"

namespace splitbrain::harness {

SystemAdapter SplitbrainAdapter();

// The faketime library, or empty when libfaketime is not installed.
std::string FindFaketime();

}  // namespace splitbrain::harness

// ApplyConfEntry: what a configuration entry does to the configuration, the raft core's own rule
// (raft.cc), shared with raft/sim's invariant checker so that it knows the configuration in force
// at an index without a second copy of the rule. A pure function; thread-safe.
#pragma once

#include "raft/types.h"

namespace splitbrain::raft {

// The configuration after the kConfig entry `e` over `cur` (a whole configuration replaces it, a
// ConfChange changes one node); *ok false when `e` holds neither.
Membership ApplyConfEntry(const Membership& cur, const Entry& e, bool* ok);

}  // namespace splitbrain::raft

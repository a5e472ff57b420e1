// The simulated disk's byte-level faults — a torn power loss and bitrot — decided by
// splitbrain-node's own storage code: a node's durable state is written out as the node writes it
// (node/storage.h over the in-memory node::FaultyEnv: the snapshot file, then the WAL's
// CRC-checked records, what was fsynced fsynced), then torn or rotted, then read back by
// Storage::Open. What Open recovers is what the node restarts on; its kCorruption is the node
// refusing to start (splitbrain-node exits 3). The rest of the simulated disk is
// raft::sim::Cluster's in-memory state. Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "raft/raft.h"

namespace splitbrain::harness::sim {

struct DiskAfter {
  raft::DurableState state;  // what the node recovers (unchanged input when `refused`)
  bool refused = false;      // Storage::Open refused the log: the node cannot start
  nlohmann::json detail;     // for the fault's end line: what was cut, flipped or refused
};

// A power loss that tears the last write (`lose-unsynced` with `torn: true`): every file keeps
// what was fsynced (`synced`) and a random prefix, drawn from `seed`, of what was written after
// it (`durable`'s entries past the last one the two share, and its hard state) — FaultyEnv's
// Crash, sometimes followed by zeros; Storage::Open cuts the torn record.
Result<DiskAfter> TearUnsynced(const raft::DurableState& synced, const raft::DurableState& durable,
                               uint64_t seed);

// Bitrot (`corrupt`): one bit of the fsynced bytes of a file whose path (relative to the data
// directory: `snapshot`, `wal/0000000000000002.wal`) contains `pattern` (`*`: any file) flipped,
// file, byte and bit drawn from `seed`.
Result<DiskAfter> FlipSyncedBit(const raft::DurableState& durable, const std::string& pattern,
                                uint64_t seed);

}  // namespace splitbrain::harness::sim

// A node's event log, nodes/<id>/events.jsonl (docs/CONTRACTS.md "Node event log"): one JSON
// object a line — start, role, commit, apply, snapshot, restore, membership, failpoint — written
// by splitbrain-node (node/node.cc) or recovered from etcd's log (harness/systems/etcd.cc), read
// by the raft-invariants and term-churn checkers and the report through this one reader.
// Plain values; the reader is pure apart from reading the file; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "records/history_jsonl.h"

namespace splitbrain::records {

struct NodeEvent {
  int64_t t = -1;      // wall-clock ns (CLOCK_REALTIME) of the event; -1 when absent
  std::string node;    // "node" of the line, else the folder's name given to the reader
  std::string event;   // start | role | commit | apply | snapshot | restore | membership | ...
  int64_t term = -1;   // -1 when absent
  std::string role;    // role: the new role
  std::string leader;  // role: the known leader; empty when null or absent
  int64_t index = -1;  // commit/apply/snapshot/restore/membership index; -1 when absent
  int64_t commit = -1;  // start: the commit index restored; -1 when absent
  std::string hash;     // apply: the entry's hash; empty when absent
  int64_t line = 0;     // 1-based line in the file
};

// Calls `fn` for every event of the file at `path`, in order; `node` names the node when a line
// does not. A torn last line (the node was killed mid-write) is expected and skipped. Strict
// (options.warnings null): any other line that is not an object with a string "event" is an
// error naming it. Forgiving: such lines are skipped and described. IoError when unreadable.
Status ReadNodeEvents(const std::string& path, const std::string& node, const ReadOptions& options,
                      const std::function<void(const NodeEvent&)>& fn);

// A run's node event logs, <run_dir>/nodes/*/events.jsonl, sorted (none: empty).
std::vector<std::string> NodeEventLogs(const std::string& run_dir);

}  // namespace splitbrain::records

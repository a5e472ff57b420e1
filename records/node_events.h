// A node's event log, nodes/<id>/events.jsonl (docs/CONTRACTS.md "Node event log"): one JSON
// object a line — start, role, commit, apply, snapshot, restore, membership, failpoint — written
// by splitbrain-node (node/node.cc) or recovered from etcd's log (harness/systems/etcd.cc)
// through this one writer, and read by the raft-invariants and term-churn checkers and the report
// through this one reader. Plain values; the reader is pure apart from reading the file and
// thread-safe; a NodeEventWriter is not (one owner).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/history_jsonl.h"

namespace splitbrain::records {

struct NodeEvent {
  int64_t t = -1;       // wall-clock ns (CLOCK_REALTIME) of the event; -1 when absent
  std::string node;     // "node" of the line, else the folder's name given to the reader
  std::string event;    // start | role | commit | apply | snapshot | restore | membership | ...
  int64_t term = -1;    // -1 when absent
  std::string role;     // role: the new role
  std::string leader;   // role: the known leader; empty when null or absent
  int64_t index = -1;   // commit/apply/snapshot/restore/membership index; -1 when absent
  int64_t commit = -1;  // start: the commit index restored; -1 when absent
  std::string hash;     // apply: the entry's hash; empty when absent
  // snapshot/restore: FNV-1a 64 of the state machine's own serialization at `index` (16 hex
  // digits), the same on every node that is correct; empty when absent.
  std::string state_hash;
  std::string source;    // restore: "leader" (InstallSnapshot) or "disk" (restart); empty: absent
  int64_t applied = -1;  // start: the index applied when it started; -1 when absent
  std::string seed;      // start: the node's random seed, in decimal; empty when absent
  // membership: the new configuration's members; snapshot/restore: the configuration the
  // snapshot holds (sorted voters, then learners).
  std::vector<std::string> members;
  std::string name;    // failpoint: which
  std::string action;  // failpoint: what it did ("crash")
  int64_t line = 0;    // 1-based line in the file (reading only)
};

// The line for one event (no newline): "t" (when >= 0), "node", "event", and each other field
// that is set (an int >= 0, a non-empty string); a role event always has "leader" (null when
// unknown), a membership event always has "members". Keys in alphabetical order.
nlohmann::json NodeEventJson(const NodeEvent& event);
// The same line appended to `out` as text, without building the JSON object: byte for byte
// NodeEventJson(event).dump() for strings that are UTF-8 (the writer's hot path — every member
// writes a line for every entry it applies). Bytes that are not UTF-8 are copied as they are
// (dump() would throw).
void AppendNodeEventJson(const NodeEvent& event, std::string* out);

// Appends events to one node's event log. Buffered (64 KiB); Flush() hands the buffer to the
// kernel — the log is the harness's evidence, not the node's state, so it is not fsynced. The
// file is closed (flushed) on destruction.
class NodeEventWriter {
 public:
  // Opens `path` to append (or, with truncate, to rewrite). IoError when it cannot.
  static Result<std::unique_ptr<NodeEventWriter>> Open(const std::string& path, bool truncate);
  ~NodeEventWriter();
  NodeEventWriter(const NodeEventWriter&) = delete;
  NodeEventWriter& operator=(const NodeEventWriter&) = delete;

  void Write(const NodeEvent& event);
  void Flush();

 private:
  explicit NodeEventWriter(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  std::string line_;  // reused between lines
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

// SimNodes: splitbrain-node's request handling (node/node.cc: HandleCommand, ProposeCommand,
// ServeReads, the leadership-loss rule, snapshots every N entries) over the simulator's raft
// cores (raft/sim/cluster.h), with the node's own node::StateMachine applied through
// raft::sim::Application. Requests come in by id and their answers go out through a callback, as
// node::Reply values the real client's mapping (clients::ReplyFromNode) reads. Owned by one
// simulated run; not thread-safe (the simulation has one thread).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/client.h"
#include "node/state_machine.h"
#include "raft/sim/cluster.h"
#include "records/node_events.h"

namespace splitbrain::harness::sim {

// A simulated node's name in the history and the store ("n1"), as the lab names its members.
inline std::string NodeName(raft::NodeId id) { return "n" + std::to_string(id); }

struct SimNodeOptions {
  int nodes = 3;
  bool stale_read = false;            // --bug stale-read: every node answers reads (node.cc)
  bool ack_before_commit = false;     // --bug ack-before-commit: a write answered once durable
                                      // in the leader's own log (node::AckBeforeCommit)
  bool install_keeps_state = false;   // --bug install-keeps-state (node::InstallSnapshotImage)
  int64_t snapshot_entries = 0;       // snapshot once this many entries follow the last; 0: never
  int64_t request_timeout_ms = 5000;  // the node's own deadline for a write or a read
};

class SimNodes : public raft::sim::Application {
 public:
  // `answer(request, reply)` delivers a node's answer to request `request` (ids are the
  // caller's). Called from Receive, AfterUnit and the Application callbacks.
  using Answer = std::function<void(uint64_t request, const node::Reply& reply)>;
  SimNodes(SimNodeOptions options, Answer answer);

  // The cluster whose cores these nodes drive; set before the first Receive.
  void Attach(raft::sim::Cluster* cluster) { cluster_ = cluster; }

  // A client's request reached node `id` (1-based) at `now_ms`. A down node refuses the
  // connection (a fail: nothing was sent); a paused (or CPU-starved) one holds it until it runs.
  // `command` is shared, not copied: a client's retries send the same one.
  using Command = std::shared_ptr<const nlohmann::json>;
  void Receive(raft::NodeId id, uint64_t request, Command command, int64_t now_ms);
  // Once per unit, after the cluster ran: held requests of resumed nodes, the reads' ReadIndex
  // (one per node per unit, as the node batches them), lost leadership, reads now servable,
  // deadlines, snapshots every N entries.
  void AfterUnit(int64_t now_ms);
  // The first ms after `now_ms` at which AfterUnit would do anything (INT64_MAX: none until a
  // request arrives or a node changes): a request held or queued, a read servable, a deadline,
  // a snapshot due, a role change not yet noted.
  int64_t NextBusyMs(int64_t now_ms) const;

  // raft::sim::Application.
  void Started(raft::NodeId id) override;
  void Crashed(raft::NodeId id) override;
  void Restored(raft::NodeId id, uint64_t index, const std::string& image) override;
  void Installed(raft::NodeId id, uint64_t index, const std::string& image) override;
  void Persisted(raft::NodeId id, const std::vector<raft::Entry>& entries) override;
  void Applied(raft::NodeId id, const raft::Entry& entry) override;
  void ReadReady(raft::NodeId id, const raft::ReadState& rs) override;
  std::string Image(raft::NodeId id) override;

  // Node `id`'s event log as the node writes it (nodes/<id>/events.jsonl, records/node_events.h):
  // its `start` and `role` events, what term-churn reads, one JSON line each. Their "t" is
  // kEventsOriginNs plus the simulated time, so the bytes depend on (plan, seed) alone.
  const std::string& events(raft::NodeId id) const { return at(id).events; }
  static constexpr int64_t kEventsOriginNs = 946'684'800'000'000'000;  // 2000-01-01T00:00:00Z

 private:
  struct Request {
    uint64_t id = 0;
    Command command;
  };
  struct Pending {
    uint64_t term = 0;
    uint64_t request = 0;
    int64_t deadline_ms = 0;
    Command command;  // what the client sent (ack-before-commit answers from it)
  };
  struct ReadBatch {
    std::vector<Request> reads;
    uint64_t index = 0;
    bool confirmed = false;
    int64_t deadline_ms = 0;
  };
  struct NodeState {
    node::StateMachine sm;
    uint64_t applied = 0;
    std::map<uint64_t, Pending> pending;  // log index -> the write waiting for it
    std::vector<Request> read_queue;      // reads not yet given a ReadIndex
    std::map<std::string, ReadBatch> reads;
    std::deque<Request> held;  // arrived while the node was paused
    bool role_known = false;
    raft::Role last_role = raft::Role::kFollower;
    uint64_t last_term = 0;
    raft::NodeId last_leader = raft::kNoNode;
    uint64_t next_read = 0;
    std::string events;  // the event log so far; kept across crashes, as the file is
  };

  NodeState& at(raft::NodeId id) { return nodes_[id - 1]; }
  const NodeState& at(raft::NodeId id) const { return nodes_[id - 1]; }
  void Handle(raft::NodeId id, const Request& req, int64_t now_ms);
  // Proposes a write the leader `id` accepted (node.cc ProposeCommand).
  void Propose(raft::NodeId id, const Request& req, int64_t now_ms);
  void NotLeader(raft::NodeId id, uint64_t request);
  void Reply(uint64_t request, const node::OpResult& r, raft::NodeId leader);
  void NoteRoleChange(raft::NodeId id);
  void Event(raft::NodeId id, records::NodeEvent ev);
  void ServeReads(raft::NodeId id, int64_t now_ms);

  // The parsed command of an entry each node applies: parsed once, not once per node (parsing
  // was a tenth of a run). Slot index % kParsedSlots; a slot is used only when its data is the
  // entry's, byte for byte, so a different entry at the same index (a planted bug's log) is
  // parsed afresh. Applying the parsed command is what node::StateMachine::ApplyData does.
  struct Parsed {
    std::string data;
    nlohmann::json command;
  };
  static constexpr size_t kParsedSlots = 4096;
  const nlohmann::json* ParsedCommand(const raft::Entry& entry);

  SimNodeOptions opt_;
  Answer answer_;
  std::vector<Parsed> parsed_ = std::vector<Parsed>(kParsedSlots);
  raft::sim::Cluster* cluster_ = nullptr;
  std::vector<NodeState> nodes_;
};

}  // namespace splitbrain::harness::sim

#include "harness/sim/sim_run.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include "checker/checker.h"
#include "clients/retry.h"
#include "clients/splitbrain_client.h"
#include "common/clock.h"
#include "common/rng.h"
#include "harness/check_run.h"
#include "harness/run_clock.h"
#include "harness/run_dir.h"
#include "harness/sim/sim_disk.h"
#include "harness/sim/sim_history.h"
#include "harness/sim/sim_node.h"
#include "harness/summary.h"
#include "nemesis/diskfs/control.h"
#include "nemesis/fault_kind.h"
#include "nemesis/nemesis.h"
#include "nemesis/timeline.h"
#include "node/node.h"
#include "raft/sim/cluster.h"
#include "results/report.h"
#include "workloads/client.h"
#include "workloads/placement.h"
#include "workloads/workload.h"

namespace splitbrain::harness::sim {
using nlohmann::json;

namespace {

// One unit of simulated time is one millisecond.
constexpr int64_t kSimNsPerMs = 1'000'000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// The faults the simulator carries out (the rest are refused at validation).
const std::set<std::string>& SimulatedFaults() {
  static const std::set<std::string> faults = {"kill",
                                               "kill-leader",
                                               "pause",
                                               "pause-leader",
                                               "partition-halves",
                                               "partition-one",
                                               "isolate-leader",
                                               "partition-ring",
                                               "bridge",
                                               "partition-one-way",
                                               "one-way-from-leader",
                                               "one-way-to-leader",
                                               "partition",
                                               "loss",
                                               "snapshot",
                                               "drop-messages",
                                               "delay-messages",
                                               "reorder-messages",
                                               "clock-skew",
                                               "slow-node",
                                               "delay",
                                               "membership",
                                               "lose-unsynced",
                                               "disk-error",
                                               "disk-full",
                                               "slow-disk",
                                               "corrupt",
                                               "heal"};
  return faults;
}

// The workloads the simulator runs: each one's operations are the node's state machine's own
// (node::StateMachine), its generator is driven and its answers mapped as the lab's workers do.
const std::set<std::string>& SimulatedWorkloads() {
  static const std::set<std::string> workloads = {"register", "kv",   "set",
                                                  "counter",  "bank", "lock"};
  return workloads;
}

// node.args as the simulator reads them: `--bug X` / `--bug=X`, and the two replication
// limits splitbrain-node passes to its raft core, `--max-entries-per-msg N` and
// `--max-inflight-msgs N` (default 256 each, as the node's).
struct NodeFlags {
  std::vector<std::string> bugs;   // the raft core's (raft::Config::Bugs)
  bool no_fsync = false;           // --bug no-fsync: the log is never fsynced
  bool ack_before_commit = false;  // --bug ack-before-commit (SimNodeOptions)
  bool install_keeps_state = false;  // --bug install-keeps-state (SimNodeOptions)
  bool crash_loses_unsynced = false;  // --crash-loses-unsynced: a kill loses what was not fsynced
  uint64_t max_entries_per_msg = 256;
  uint64_t max_inflight = 256;
};
Result<NodeFlags> ReadNodeFlags(const std::vector<std::string>& args) {
  NodeFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string bug;
    if (args[i] == "--crash-loses-unsynced") {
      flags.crash_loses_unsynced = true;
      continue;
    }
    if ((args[i] == "--max-entries-per-msg" || args[i] == "--max-inflight-msgs") &&
        i + 1 < args.size()) {
      const std::string& v = args[i + 1];
      uint64_t n = 0;
      if (v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit) ||
          (n = std::stoull(v)) == 0) {
        return Status::InvalidArgument("node.args: " + args[i] +
                                       " expects a whole number from 1 to 999999, got '" + v + "'");
      }
      (args[i] == "--max-entries-per-msg" ? flags.max_entries_per_msg : flags.max_inflight) = n;
      ++i;
      continue;
    }
    if (args[i] == "--bug" && i + 1 < args.size()) {
      bug = args[++i];
    } else if (args[i].rfind("--bug=", 0) == 0) {
      bug = args[i].substr(6);
    } else {
      return Status::Unsupported(
          "node.args: '" + args[i] +
          "' is not simulated yet (the simulator reads only --bug X, --max-entries-per-msg N, "
          "--max-inflight-msgs N and --crash-loses-unsynced)");
    }
    const auto& known = node::KnownBugs();
    if (std::find(known.begin(), known.end(), bug) == known.end()) {
      return Status::InvalidArgument("node.args: unknown --bug '" + bug + "'");
    }
    if (bug == "no-fsync") {  // the simulated disk's (raft::sim::Options::sync)
      flags.no_fsync = true;
      continue;
    }
    // The node's apply path's, run by SimNodes through the node's own code (node/node.h).
    if (bug == "ack-before-commit" || bug == "install-keeps-state") {
      (bug == "ack-before-commit" ? flags.ack_before_commit : flags.install_keeps_state) = true;
      continue;
    }
    raft::Config::Bugs probe;
    if (!node::SetRaftBug(bug, &probe)) {
      return Status::Unsupported("node.args: --bug " + bug + " is not simulated yet");
    }
    flags.bugs.push_back(bug);
  }
  return flags;
}

std::vector<std::string> CheckersOf(const TestPlan& plan) {
  return plan.checkers.empty() ? DefaultCheckers(plan.workload.name) : plan.checkers;
}


// A message-level fault's `message:` as the raft core's type (nemesis::MessageKindNames order).
bool MessageTypeOf(const std::string& name, raft::MessageType* type) {
  using T = raft::MessageType;
  static const std::map<std::string, T> kTypes = {
      {"pre-vote", T::kPreVote},
      {"pre-vote-response", T::kPreVoteResp},
      {"vote", T::kVote},
      {"vote-response", T::kVoteResp},
      {"append", T::kApp},
      {"append-response", T::kAppResp},
      {"heartbeat", T::kHeartbeat},
      {"heartbeat-response", T::kHeartbeatResp},
      {"snapshot", T::kSnap},
      {"snapshot-response", T::kSnapResp},
      {"timeout-now", T::kTimeoutNow},
      {"read-index", T::kReadIndex},
      {"read-index-response", T::kReadIndexResp},
      {"transfer-leader", T::kTransferLeader}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return false;
  *type = it->second;
  return true;
}

// Clock skew as a tick-rate change: each second of skew doubles (ahead) or halves (behind) the
// rate of the node's clock, so -4 s ticks at 1/16 of true time; from 1/32 to 32 times.
double TickRateOf(int64_t offset_ns) {
  return std::clamp(std::exp2(static_cast<double>(offset_ns) / 1e9), 1.0 / 32, 32.0);
}

// Nanoseconds as whole units of simulated time, rounded up.
uint64_t Units(int64_t ns) { return ns <= 0 ? 0 : static_cast<uint64_t>((ns + kSimNsPerMs - 1) / kSimNsPerMs); }

// The nemesis's hands in the simulation.
class SimInjector : public nemesis::FaultInjector {
 public:
  // `crash_loses_unsynced`: node.args' --crash-loses-unsynced (every kill is a power loss).
  SimInjector(raft::sim::Cluster& c, bool crash_loses_unsynced)
      : c_(c), crash_loses_unsynced_(crash_loses_unsynced) {}
  nemesis::ClusterView View() override {
    nemesis::ClusterView v;
    for (int i = 1; i <= c_.size(); ++i) {
      const auto id = static_cast<raft::NodeId>(i);
      v.nodes.push_back(NodeName(id));
      if (!c_.up(id) || c_.paused(id)) v.unavailable.insert(NodeName(id));
    }
    const raft::NodeId leader = c_.Leader();
    if (leader != raft::kNoNode) v.leader = NodeName(leader);
    return v;
  }
  Status Kill(const nemesis::NodeId& n) override {
    return Do(n, [&](auto id) {
      if (crash_loses_unsynced_) {
        c_.LoseUnsynced(id);
      } else {
        c_.Crash(id);
      }
    });
  }
  Status Restart(const nemesis::NodeId& n) override {
    // A removed member stays stopped until it is added back (AddMember).
    return Do(n, [&](auto id) {
      if (!removed_.count(id)) c_.Restart(id);
    });
  }
  Status Pause(const nemesis::NodeId& n) override {
    return Do(n, [&](auto id) { c_.Pause(id); });
  }
  Status Resume(const nemesis::NodeId& n) override {
    return Do(n, [&](auto id) { c_.Resume(id); });
  }
  Status SetNetwork(const std::vector<nemesis::NetRule>& rules) override {
    c_.HealLinks();
    c_.ClearLoss();
    for (const auto& r : rules) {
      const raft::NodeId from = node::NodeIdFromName(r.from), to = node::NodeIdFromName(r.to);
      if (from == 0 || to == 0) return Status::InvalidArgument("no node " + r.from + "/" + r.to);
      // A one-way rule drops `from`'s packets on the connections it opened: its messages to
      // `to` (each node sends its own messages on its own connections); `to`'s still arrive.
      if (r.mode == nemesis::NetMode::kLoss) {
        c_.SetLoss(from, to, r.probability);
      } else {
        c_.Block(from, to);
      }
    }
    return Status::Ok();
  }
  Status SetDelays(const std::vector<nemesis::DelayRule>& rules) override {
    c_.ClearLinkDelays();
    for (const auto& r : rules) {
      const raft::NodeId from = node::NodeIdFromName(r.from), to = node::NodeIdFromName(r.to);
      if (from == 0 || to == 0) return Status::InvalidArgument("no node " + r.from + "/" + r.to);
      c_.SetLinkDelay(from, to, Units(r.mean_ns), Units(r.jitter_ns));
    }
    return Status::Ok();
  }
  std::string DelayMechanism() override {
    return "simulated: each Raft message on the link held mean ± jitter";
  }
  Status SetMessageFaults(const std::vector<nemesis::MessageRule>& rules) override {
    std::vector<raft::sim::Cluster::MessageRule> out;
    for (const auto& r : rules) {
      raft::sim::Cluster::MessageRule m;
      if (!MessageTypeOf(r.message, &m.type)) {
        return Status::InvalidArgument("no Raft message kind '" + r.message + "'");
      }
      m.mode = r.mode == "drop"    ? raft::sim::Cluster::MessageRule::kDrop
               : r.mode == "delay" ? raft::sim::Cluster::MessageRule::kDelay
                                   : raft::sim::Cluster::MessageRule::kReorder;
      m.from = r.from.empty() ? raft::kNoNode : node::NodeIdFromName(r.from);
      m.to = r.to.empty() ? raft::kNoNode : node::NodeIdFromName(r.to);
      m.hold = static_cast<uint64_t>((r.hold_ns + kSimNsPerMs - 1) / kSimNsPerMs);  // whole units, rounded up
      out.push_back(m);
    }
    c_.SetMessageRules(std::move(out));
    return Status::Ok();
  }
  Status Throttle(const nemesis::NodeId& n, double share) override {
    return Do(n, [&](auto id) { c_.SetCpuShare(id, share); });
  }
  Status Unthrottle(const nemesis::NodeId& n) override {
    return Do(n, [&](auto id) { c_.SetCpuShare(id, 1); });
  }
  std::string ThrottleMechanism() override {
    return "simulated duty cycle: the node runs `cpu` of every 100 ms and is held the rest";
  }
  Status SetClockOffset(const nemesis::NodeId& n, int64_t offset_ns) override {
    return Do(n, [&](auto id) { c_.SetTickRate(id, offset_ns == 0 ? 1.0 : TickRateOf(offset_ns)); });
  }
  // As harness/systems/splitbrain.cc: the leader removes the node (node.cc HandleRemove), and
  // the node is stopped once the removal is committed (AfterUnit; given up after the node's 5 s
  // deadline, leaving it running, as a removal that failed).
  Status RemoveMember(const nemesis::NodeId& n) override {
    const raft::NodeId id = node::NodeIdFromName(n);
    if (id == 0 || static_cast<int>(id) > c_.size()) return Status::InvalidArgument("no node " + n);
    const raft::NodeId leader = c_.Leader();
    if (leader == raft::kNoNode) return Status::Unavailable("removing " + n + ": no leader");
    raft::ConfChange cc;
    cc.type = raft::ConfChange::Type::kRemove;
    cc.node = id;
    uint64_t index = 0;
    const raft::Err err = c_.node(leader)->ProposeConfChange(cc, &index);
    if (err != raft::Err::kOk) {
      return Status::Unavailable("removing " + n +
                                 ": membership change refused: " + raft::ErrName(err));
    }
    removals_.push_back({id, index, c_.now() + 5000});
    return Status::Ok();
  }
  // As harness/systems/splitbrain.cc: a node the leader still counts is only started again; one
  // removed comes back empty, as a new member (its disk wiped), and the leader adds it as a voter.
  Status AddMember(const nemesis::NodeId& n) override {
    const raft::NodeId id = node::NodeIdFromName(n);
    if (id == 0 || static_cast<int>(id) > c_.size()) return Status::InvalidArgument("no node " + n);
    std::erase_if(removals_, [&](const Removal& r) { return r.id == id; });
    const raft::NodeId leader = c_.Leader();
    if (leader == raft::kNoNode) {
      return Status::Unavailable("re-adding " + n +
                                 ": no leader, so whether it is still a member is not known; "
                                 "left as it is");
    }
    removed_.erase(id);
    if (c_.node(leader)->membership().Contains(id)) {
      c_.Restart(id);  // nothing when it runs
      return Status::Ok();
    }
    c_.Wipe(id);
    c_.Restart(id);
    raft::ConfChange cc;
    cc.type = raft::ConfChange::Type::kAddVoter;
    cc.node = id;
    const raft::Err err = c_.node(leader)->ProposeConfChange(cc);
    if (err != raft::Err::kOk) {
      return Status::Unavailable("re-adding " + n +
                                 ": membership change refused: " + raft::ErrName(err));
    }
    return Status::Ok();
  }
  // After every unit: a node whose removal is committed (some node's configuration as of its
  // commit index lacks it) is stopped.
  void AfterUnit() {
    for (auto it = removals_.begin(); it != removals_.end();) {
      bool committed = false;
      for (int i = 1; i <= c_.size() && !committed; ++i) {
        const raft::Raft* r = c_.node(static_cast<raft::NodeId>(i));
        committed = r && r->log().commit() >= it->index && !r->membership().Contains(it->id);
      }
      if (committed) {
        c_.Crash(it->id);
        removed_.insert(it->id);
      }
      it = committed || c_.now() >= it->give_up ? removals_.erase(it) : std::next(it);
    }
  }
  bool awaiting_removal() const { return !removals_.empty(); }
  // The disk faults, in splitbrain-fs's own commands (nemesis/diskfs/control.h): `lose`
  // (power loss; the nemesis has killed the node first), `lose torn SEED`, `corrupt PATTERN
  // SEED` (the node is down too) — those through the node's own storage code (sim_disk.h) —,
  // and the modes `error OPS SHARE SEED`, `full`, `slow FSYNC_NS WRITE_NS` and `heal`
  // (raft::sim::Cluster::DiskFaults).
  Result<json> DiskCommand(const nemesis::NodeId& n, const std::string& command) override {
    const raft::NodeId id = node::NodeIdFromName(n);
    if (id == 0 || static_cast<int>(id) > c_.size()) return Status::InvalidArgument("no node " + n);
    SB_ASSIGN_OR_RETURN(const nemesis::diskfs::ControlCommand cmd,
                        nemesis::diskfs::ParseControl(command));
    using K = nemesis::diskfs::ControlCommand;
    switch (cmd.kind) {
      case K::kLose: {
        if (!cmd.torn) {
          bool hard_state = false;
          const uint64_t entries = c_.LoseUnsynced(id, &hard_state);
          return json{{"lost", {{"entries", entries}, {"hard_state", hard_state}}}};
        }
        c_.Crash(id);
        const raft::DurableState before = c_.durable(id);
        SB_ASSIGN_OR_RETURN(DiskAfter after, TearUnsynced(c_.synced(id), before, cmd.seed));
        if (after.refused) {
          c_.RefuseStart(id);
        } else {
          c_.SetDurable(id, after.state);
        }
        const uint64_t had = before.snapshot.meta.index + before.entries.size();
        const uint64_t kept = after.state.snapshot.meta.index + after.state.entries.size();
        after.detail["entries"] = had > kept ? had - kept : 0;
        after.detail["hard_state"] = !(after.state.hard_state == before.hard_state);
        return json{{"lost", after.detail}};
      }
      case K::kCorrupt: {
        c_.Crash(id);
        SB_ASSIGN_OR_RETURN(DiskAfter after,
                            FlipSyncedBit(c_.durable(id), cmd.pattern, cmd.seed));
        if (after.refused) {
          c_.RefuseStart(id);
        } else {
          c_.SetDurable(id, after.state);
        }
        return json{{"corrupted", after.detail}};
      }
      case K::kError:
      case K::kFull:
      case K::kSlow:
      case K::kHeal: {
        nemesis::diskfs::DiskModes& m = disk_modes_[id];
        nemesis::diskfs::ApplyMode(cmd, &m);
        raft::sim::Cluster::DiskFaults f;
        f.fail_read = (m.error_ops & nemesis::diskfs::kRead) != 0;
        f.fail_write = (m.error_ops & nemesis::diskfs::kWrite) != 0;
        f.fail_fsync = (m.error_ops & nemesis::diskfs::kFsync) != 0;
        f.share = m.error_share;
        f.full = m.full;
        f.fsync_delay = Units(m.slow_fsync_ns);
        f.write_delay = Units(m.slow_write_ns);
        c_.SetDiskFaults(id, f);
        return json::object();
      }
      case K::kStatus:
        break;
    }
    return Status::Unsupported("disk command '" + command + "' is not simulated");
  }
  std::string DiskMechanism() override { return "simulated: the node's unsynced writes"; }
  Result<int64_t> Snapshot(const nemesis::NodeId& n) override {
    const raft::NodeId id = node::NodeIdFromName(n);
    if (id == 0 || static_cast<int>(id) > c_.size()) return Status::InvalidArgument("no node " + n);
    uint64_t index = 0;
    if (c_.SnapshotNow(id, &index) != raft::Err::kOk) {
      return Status::Unavailable(n + " is down or paused");
    }
    return static_cast<int64_t>(index);
  }

 private:
  template <typename F>
  Status Do(const nemesis::NodeId& n, F f) {
    const raft::NodeId id = node::NodeIdFromName(n);
    if (id == 0 || static_cast<int>(id) > c_.size()) return Status::InvalidArgument("no node " + n);
    f(id);
    return Status::Ok();
  }
  struct Removal {
    raft::NodeId id;
    uint64_t index;      // of the removal in the leader's log
    uint64_t give_up;    // unit
  };
  raft::sim::Cluster& c_;
  const bool crash_loses_unsynced_;
  std::vector<Removal> removals_;
  std::set<raft::NodeId> removed_;  // stopped by a removal, until added back
  std::map<raft::NodeId, nemesis::diskfs::DiskModes> disk_modes_;  // the disk modes in force
};

// One logical client slot (harness/workers.cc's Worker, as a state machine in simulated time).
struct Slot {
  size_t index = 0;
  workloads::ProcessState st;
  std::unique_ptr<workloads::NodePicker> picker;
  size_t current = 0;      // the node the next try goes to (0-based)
  bool redirected = false;  // the operation has followed a named leader once
  bool exhausted = false;  // the generator has no more for it
  bool active = false;     // an operation is invoked and not completed
  workloads::Op op;
  SimNodes::Command command;  // the operation's request, shared by its tries
  int64_t invoke_ns = 0;
  int64_t deadline_ms = 0;
  uint64_t request = 0;  // the try in flight (0: none, pausing between tries)
  size_t request_node = 0;
  int64_t next_ms = 0;  // idle: when to ask again; pausing: when to try again
  records::Reply last;  // the last refusal (pausing)
  // The final reads: the ops still to read, retried until ok (empty for a workload slot).
  bool final = false;
  std::deque<workloads::Op> final_ops;
  // Its generator ran out: what the process still has to do (lock: release what it holds;
  // harness/workers.cc Worker's CleanupOps), then it is exhausted.
  bool draining = false;
  std::deque<workloads::Op> cleanup_ops;
};

class SimRun {
 public:
  SimRun(const TestPlan& plan, const SimOptions& options) : plan_(plan), opt_(options) {}
  SimOutcome Run();

 private:
  int64_t NowMs() const { return static_cast<int64_t>(cluster_->now()); }
  // The run's time for records: the unit, then a count within it, so line order and time order
  // agree (records/history_writer.h).
  int64_t Stamp() {
    if (NowMs() != stamp_ms_) {
      stamp_ms_ = NowMs();
      stamp_sub_ = 0;
    }
    return stamp_ms_ * kSimNsPerMs + stamp_sub_++;
  }
  void Setup();
  // The first ms after now at which something is due: the cluster's next busy unit, the
  // nodes', the next fault, a request or answer arriving, a client's next step.
  int64_t NextBusyMs() const;
  // One busy millisecond: the idle ones before it (up to `bound_ms`, the loop's end) skipped.
  void Unit(int64_t bound_ms);
  void StepSlot(Slot& s);
  // `prepare`: the workload's Prepare first (a main-phase op; not a final read or a cleanup).
  void Begin(Slot& s, workloads::Op op, bool prepare = true);
  // The workload's setup commands (bank: open the accounts), before any client starts, as
  // harness/runner.cc sends them: not recorded, each retried until applied or refused by the
  // state (an earlier try took effect), for at most 15 s.
  void StepSetup();
  void Try(Slot& s);
  void OnReply(uint64_t request, const node::Reply& reply);
  void Complete(Slot& s, const records::Reply& r);
  void Abandon(const std::string& why);
  // nodes/<id>/events.jsonl, each node's start and role events (SimNodes::events), as the lab's
  // nodes write them: what term-churn and the report's Raft view read.
  void WriteEventLogs();
  json Check();

  TestPlan plan_;
  SimOptions opt_;
  uint64_t seed_ = 0;
  std::string run_dir_;
  std::unique_ptr<workloads::Workload> workload_;
  std::unique_ptr<SimNodes> nodes_;
  std::unique_ptr<raft::sim::Cluster> cluster_;
  std::unique_ptr<SimInjector> injector_;
  std::ofstream nemesis_log_;
  std::unique_ptr<nemesis::Nemesis> nemesis_;
  std::unique_ptr<SimHistory> history_;
  workloads::GenPtr gen_;
  std::vector<nemesis::TimelineStep> steps_;
  size_t next_step_ = 0;
  std::map<int, int> slot_to_id_;
  std::vector<Slot> slots_;
  // The slot that asks the generator first in the next millisecond: the one after the last slot
  // given an operation (round robin; see Step).
  size_t first_slot_ = 0;
  int in_flight_ = 0;
  int64_t next_process_ = 0;
  uint64_t next_request_ = 0;
  std::map<uint64_t, size_t> request_slot_;  // tries in flight -> their slot
  struct ToNode {
    int64_t at_ms;
    raft::NodeId node;
    uint64_t request;
    SimNodes::Command command;
  };
  struct ToClient {
    int64_t at_ms;
    uint64_t request;
    node::Reply reply;
  };
  std::deque<ToNode> to_nodes_;  // each one unit on the way, so in time order
  std::deque<ToClient> to_clients_;
  std::vector<int64_t> latencies_ns_;
  int64_t stamp_ms_ = -1;
  int64_t stamp_sub_ = 0;
  bool main_phase_ = true;
  // The setup commands still to apply (the front one in flight or waiting); the clients start
  // once it is empty.
  std::deque<json> setup_;
  uint64_t setup_request_ = 0;  // the try in flight (0: none)
  size_t setup_node_ = 0;       // where the next try goes (0-based)
  int64_t setup_next_ms_ = 0;   // waiting: when to try again; in flight: when to give it up
  int64_t setup_end_ms_ = 0;
};

void SimRun::Setup() {
  Rng root(seed_);
  Rng gen_rng = root.Fork();
  Rng stagger_rng = root.Fork();
  Rng nemesis_rng = root.Fork();
  Rng timeline_rng = root.Fork();
  Rng cluster_rng = root.Fork();
  Rng placement_rng = root.Fork();

  workloads::WorkloadConfig wc;
  wc.name = plan_.workload.name;
  wc.keys = plan_.workload.keys;
  wc.read_fraction = plan_.workload.read_fraction;
  wc.values = plan_.workload.values;
  wc.lock_ttl_ms = plan_.workload.lock_ttl_ns / kSimNsPerMs;
  wc.lock_hold_ms = plan_.workload.lock_hold_ns / kSimNsPerMs;
  wc.accounts = plan_.workload.accounts;
  wc.initial_balance = plan_.workload.initial_balance;
  auto w = workloads::MakeWorkload(wc);
  if (!w.ok()) throw std::runtime_error(w.status().ToString());
  workload_ = std::move(*w);

  raft::Config::Bugs bugs;
  const auto flags = ReadNodeFlags(plan_.node.args);  // validated: ok
  for (const auto& b : flags->bugs) node::SetRaftBug(b, &bugs);
  SimNodeOptions no;
  no.nodes = plan_.nodes;
  no.stale_read = bugs.stale_read;
  no.ack_before_commit = flags->ack_before_commit;
  no.install_keeps_state = flags->install_keeps_state;
  no.snapshot_entries = plan_.node.snapshot_entries.value_or(10000);
  nodes_ = std::make_unique<SimNodes>(no, [this](uint64_t request, const node::Reply& r) {
    to_clients_.push_back({NowMs() + 1, request, r});
  });
  raft::sim::Options o;
  o.seed = cluster_rng.Next();
  o.voters = plan_.nodes;
  o.election_ticks = plan_.node.election_ticks;
  o.heartbeat_ticks = 1;
  o.tick_units = plan_.node.tick_ms;
  o.min_delay = 1;  // ms on the wire between two nodes
  o.max_delay = 2;
  o.drop = 0;  // the lab's peers speak TCP: nothing is lost but by a fault
  o.duplicate = 0;
  o.max_entries_per_msg = flags->max_entries_per_msg;  // splitbrain-node's, 256 by default
  o.max_inflight = flags->max_inflight;
  o.snapshot_chunk_bytes = 64 * 1024;
  o.bugs = bugs;
  o.sync = !flags->no_fsync;
  o.propose_rate = 0;  // the plan's clients, not the simulator's own load and nemesis
  o.read_rate = 0;
  o.fault_every = 0;
  o.snapshot_rate = 0;
  o.app = nodes_.get();
  o.wire_codec = opt_.wire_codec;
  cluster_ = std::make_unique<raft::sim::Cluster>(o);
  nodes_->Attach(cluster_.get());
  injector_ = std::make_unique<SimInjector>(*cluster_, flags->crash_loses_unsynced);

  history_ = std::make_unique<SimHistory>(run_dir_ + "/history.jsonl", [this] { return Stamp(); });
  nemesis_log_.open(run_dir_ + "/nemesis.jsonl", std::ios::trunc);
  nemesis_ = std::make_unique<nemesis::Nemesis>(
      injector_.get(), [this] { return Stamp(); }, &nemesis_log_, nemesis_rng);

  if (!plan_.nemesis.schedule.empty()) {
    std::vector<nemesis::ScheduleEntry> entries;
    for (const auto& s : plan_.nemesis.schedule) entries.push_back({s.at_ns, s.duration_ns, s});
    steps_ = nemesis::ExplicitTimeline(entries);
  } else {
    nemesis::MixSpec mix{plan_.nemesis.start_ns, plan_.nemesis.interval_ns,
                         plan_.nemesis.duration_ns, plan_.nemesis.faults};
    steps_ = nemesis::RandomTimeline(mix, plan_.time_limit_ns, timeline_rng);
  }
  const auto& wl = plan_.workload;
  workloads::GenPtr g = workload_->MakeGenerator(gen_rng);
  if (wl.rate > 0) {
    std::vector<workloads::Window> bursts;
    for (const auto& s : steps_) bursts.push_back({s.at_ns, s.at_ns + wl.burst_window_ns});
    g = workloads::Stagger(static_cast<int64_t>(1e9 / wl.rate), std::move(g), stagger_rng, bursts,
                           wl.burst);
  }
  if (wl.limit > 0) g = workloads::Limit(wl.limit, std::move(g));
  gen_ = workloads::TimeLimit(plan_.time_limit_ns, std::move(g));

  const auto placement =
      workloads::ParsePlacement(wl.placement).value_or(workloads::Placement::kHome);
  for (int i = 0; i < wl.concurrency; ++i) {
    Slot s;
    s.index = static_cast<size_t>(i);
    s.st.process = i;
    s.picker = std::make_unique<workloads::NodePicker>(placement, static_cast<size_t>(plan_.nodes),
                                                       s.index, placement_rng.Next());
    s.current = s.picker->home();
    slots_.push_back(std::move(s));
  }
  next_process_ = wl.concurrency;
  for (const json& cmd : workload_->SetupCommands()) setup_.push_back(cmd);
  setup_end_ms_ = 15'000;
}

void SimRun::StepSetup() {
  const int64_t now = NowMs();
  if (setup_.empty() || now < setup_next_ms_) return;
  if (now >= setup_end_ms_) {
    throw std::runtime_error("setup command " + setup_.front().dump() +
                             " never succeeded in 15 s");
  }
  // Not answered in 2 s (or answered with a refusal): try again; a late answer is ignored.
  setup_request_ = ++next_request_;
  to_nodes_.push_back({now + 1, static_cast<raft::NodeId>(setup_node_ + 1), setup_request_,
                       std::make_shared<const json>(setup_.front())});
  setup_next_ms_ = now + 2000;  // harness/runner.cc: 2 s a try
}

void SimRun::Begin(Slot& s, workloads::Op op, bool prepare) {
  if (prepare && !s.final) workload_->Prepare(op, s.st);
  s.op = std::move(op);
  s.active = true;
  s.redirected = false;
  ++in_flight_;
  s.invoke_ns = history_->Invoke(s.st.process, s.op.f, s.op.key, s.op.value);
  s.command = std::make_shared<const json>(workload_->ToCommand(s.op, s.st));
  s.deadline_ms = NowMs() + (s.final ? 2000 : plan_.workload.op_timeout_ns / kSimNsPerMs);
  if (!s.final) s.current = s.picker->Start(s.current) % static_cast<size_t>(plan_.nodes);
  Try(s);
}

void SimRun::Try(Slot& s) {
  s.request = ++next_request_;
  s.request_node = s.current;
  request_slot_[s.request] = s.index;
  to_nodes_.push_back(
      {NowMs() + 1, static_cast<raft::NodeId>(s.current + 1), s.request, s.command});
}

void SimRun::OnReply(uint64_t request, const node::Reply& reply) {
  if (request != 0 && request == setup_request_) {
    setup_request_ = 0;
    records::Reply r = clients::ReplyFromNode(reply, NodeName(setup_node_ + 1));
    // A refusal by the state (409: bank-init found the accounts) means an earlier try applied.
    if (r.ok() || r.refusal == records::Refusal::kState) {
      setup_.pop_front();
      setup_next_ms_ = NowMs();
      return;
    }
    const raft::NodeId leader = node::NodeIdFromName(r.leader);
    setup_node_ = leader != 0 && static_cast<int>(leader) <= plan_.nodes
                      ? static_cast<size_t>(leader - 1)
                      : (setup_node_ + 1) % static_cast<size_t>(plan_.nodes);
    setup_next_ms_ = NowMs() + 10;
    return;
  }
  auto it = request_slot_.find(request);
  if (it == request_slot_.end()) return;  // its client gave up on it
  Slot& s = slots_[it->second];
  request_slot_.erase(it);
  s.request = 0;
  records::Reply r = clients::ReplyFromNode(reply, NodeName(s.request_node + 1));
  if (r.outcome == records::Outcome::kFail && r.refusal == records::Refusal::kMember) {
    // The lab's retry policy (clients/retry.h): where the next try goes, and whether it waits.
    const raft::NodeId leader = node::NodeIdFromName(r.leader);
    std::optional<size_t> named;
    if (leader != 0 && static_cast<int>(leader) <= plan_.nodes) named = leader - 1;
    const clients::NextTry next = clients::AfterRefusal(
        s.current, static_cast<size_t>(plan_.nodes), named, &s.redirected);
    s.current = next.member;
    s.last = r;
    const int64_t left = s.deadline_ms - NowMs();
    if (left <= 0) {
      Complete(s, r);
      return;
    }
    if (!next.pause) {
      Try(s);
      return;
    }
    s.next_ms = NowMs() + std::min<int64_t>(left, 10);
    return;
  }
  Complete(s, r);
}

void SimRun::Complete(Slot& s, const records::Reply& r) {
  if (s.request) request_slot_.erase(s.request);
  s.request = 0;
  workloads::Completion c = workloads::CompletionFor(*workload_, s.op, r, s.st);
  const int64_t t1 = history_->Complete(s.st.process, s.op.f, s.op.key, c.outcome, c.value, c.node);
  if (c.outcome == records::Outcome::kOk && !s.final) latencies_ns_.push_back(t1 - s.invoke_ns);
  s.active = false;
  --in_flight_;
  s.next_ms = NowMs();
  if (s.final) {
    if (c.outcome == records::Outcome::kOk) {
      s.final_ops.pop_front();
    } else {
      s.next_ms = NowMs() + 100;  // harness/workers.cc FinalReads: 100 ms between tries
    }
  } else if (const int64_t hold = workload_->HoldAfterNs(s.op, c.outcome); hold > 0) {
    s.next_ms = NowMs() + (hold + kSimNsPerMs - 1) / kSimNsPerMs;
  }
  if (c.outcome == records::Outcome::kUnknown) {
    // Jepsen: the process never invokes again; a fresh one takes its slot.
    s.st = workloads::ProcessState();
    s.st.process = next_process_++;
  }
}

void SimRun::StepSlot(Slot& s) {
  const int64_t now = NowMs();
  if (s.active) {
    if (s.request != 0) {
      if (now >= s.deadline_ms) {
        records::Reply timeout;  // the answer never came: it may have happened
        timeout.outcome = records::Outcome::kUnknown;
        timeout.error = "awaiting answer from " + NodeName(s.request_node + 1) + ": timed out";
        timeout.node = NodeName(s.request_node + 1);
        Complete(s, timeout);
      }
    } else if (now >= s.next_ms) {
      if (now >= s.deadline_ms) {
        Complete(s, s.last);
      } else {
        Try(s);
      }
    }
    return;
  }
  if (s.final) {
    if (!s.final_ops.empty() && now >= s.next_ms) Begin(s, s.final_ops.front());
    return;
  }
  if (s.exhausted || now < s.next_ms || !main_phase_ || !setup_.empty()) return;
  if (s.draining) {
    if (s.cleanup_ops.empty()) {
      s.exhausted = true;
      return;
    }
    workloads::Op op = std::move(s.cleanup_ops.front());
    s.cleanup_ops.pop_front();
    Begin(s, std::move(op), /*prepare=*/false);
    return;
  }
  workloads::Context ctx{now * kSimNsPerMs, s.st.process, in_flight_};
  workloads::GenResult g = gen_->Next(ctx);
  if (g.kind == workloads::GenResult::kExhausted) {
    // harness/workers.cc: a process still holding something lets go of it, recorded.
    const std::vector<workloads::Op> ops = workload_->CleanupOps(s.st);
    s.cleanup_ops.assign(ops.begin(), ops.end());
    s.draining = true;
    if (s.cleanup_ops.empty()) {
      s.exhausted = true;
    } else {
      workloads::Op op = std::move(s.cleanup_ops.front());
      s.cleanup_ops.pop_front();
      Begin(s, std::move(op), /*prepare=*/false);
    }
  } else if (g.kind == workloads::GenResult::kPending) {
    const int64_t wake = std::min(g.wake_ns, ctx.time_ns + 50 * kSimNsPerMs);
    s.next_ms = std::max(now + 1, (wake + kSimNsPerMs - 1) / kSimNsPerMs);
  } else {
    first_slot_ = s.index + 1;
    Begin(s, std::move(g.op));
  }
}

int64_t SimRun::NextBusyMs() const {
  const int64_t now = NowMs();
  if (injector_->awaiting_removal()) return now + 1;
  const uint64_t cluster_next = cluster_->NextBusyUnit();
  int64_t busy = std::min<int64_t>(nodes_->NextBusyMs(now),
                                   cluster_next > static_cast<uint64_t>(kNever)
                                       ? kNever
                                       : static_cast<int64_t>(cluster_next));
  if (main_phase_ && next_step_ < steps_.size()) {
    busy = std::min(busy, (steps_[next_step_].at_ns + kSimNsPerMs - 1) / kSimNsPerMs);  // Unit: at_ns <= now
  }
  if (!to_nodes_.empty()) busy = std::min(busy, to_nodes_.front().at_ms);
  if (!to_clients_.empty()) busy = std::min(busy, to_clients_.front().at_ms);
  if (!setup_.empty()) {
    busy = std::min(busy, setup_next_ms_);
    return std::max(busy, now + 1);  // the clients wait for the setup
  }
  for (const Slot& s : slots_) {  // as StepSlot decides
    if (s.active) {
      busy = std::min(busy, s.request != 0 ? s.deadline_ms : s.next_ms);
    } else if (s.final ? !s.final_ops.empty() : !s.exhausted && main_phase_) {
      busy = std::min(busy, s.next_ms);
    }
  }
  return std::max(busy, now + 1);
}

void SimRun::Unit(int64_t bound_ms) {
  // Skipping the idle milliseconds changes nothing but the speed (Cluster::SkipIdleUntil).
  cluster_->SkipIdleUntil(static_cast<uint64_t>(std::min(NextBusyMs(), bound_ms)));
  cluster_->Run(1);
  injector_->AfterUnit();
  const int64_t now = NowMs();
  nodes_->AfterUnit(now);
  while (main_phase_ && next_step_ < steps_.size() && steps_[next_step_].at_ns <= now * kSimNsPerMs) {
    const nemesis::TimelineStep& s = steps_[next_step_++];
    if (s.at_ns >= plan_.time_limit_ns) {
      next_step_ = steps_.size();
      break;
    }
    switch (s.kind) {
      case nemesis::TimelineStep::kStart: {
        auto id = nemesis_->Start(s.request);
        if (id.ok()) slot_to_id_[s.slot] = *id;
        break;
      }
      case nemesis::TimelineStep::kEnd:
        if (slot_to_id_.count(s.slot)) (void)nemesis_->End(slot_to_id_[s.slot]);
        break;
      case nemesis::TimelineStep::kHeal:
        (void)nemesis_->HealAll();
        break;
    }
  }
  while (!to_nodes_.empty() && to_nodes_.front().at_ms <= now) {
    ToNode m = std::move(to_nodes_.front());
    to_nodes_.pop_front();
    nodes_->Receive(m.node, m.request, std::move(m.command), now);
  }
  while (!to_clients_.empty() && to_clients_.front().at_ms <= now) {
    ToClient m = std::move(to_clients_.front());
    to_clients_.pop_front();
    OnReply(m.request, m.reply);
  }
  StepSetup();
  // Each millisecond the slots ask the generator in turn from the one after the last slot given
  // an operation. In the lab the clients' threads race for the operations a rate limit allows;
  // stepped always from slot 0, the lowest slots took them all and the last waited seconds — a
  // lock holder starved past its TTL saw its lock given to another, and the mutex model rightly
  // called the correct node invalid (nightly-lock: 5 of 10 seeds).
  const size_t n = slots_.size();
  const size_t first = n ? first_slot_ % n : 0;
  for (size_t k = 0; k < n; ++k) StepSlot(slots_[(first + k) % n]);
}

void SimRun::WriteEventLogs() {
  for (int i = 1; i <= plan_.nodes; ++i) {
    const auto dir = std::filesystem::path(run_dir_) / "nodes" / NodeName(static_cast<raft::NodeId>(i));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "events.jsonl", std::ios::trunc | std::ios::binary)
        << nodes_->events(static_cast<raft::NodeId>(i));
  }
}

void SimRun::Abandon(const std::string& why) {
  for (Slot& s : slots_) {
    if (!s.active) continue;
    records::Reply r;
    r.outcome = records::Outcome::kUnknown;
    r.error = why;
    Complete(s, r);
  }
}

json SimRun::Check() {
  CheckRunInputs in;
  in.test = plan_.name;
  in.run_dir = run_dir_;
  in.model = workloads::FindWorkloadKind(plan_.workload.name)->model;
  in.bank_total = workload_->BankTotal();
  in.recovery_ns = plan_.recovery_ns;
  in.term_churn_window_ns = plan_.term_churn_window_ns;
  in.term_churn_bound = plan_.term_churn_bound;
  in.wall_origin_ns = SimNodes::kEventsOriginNs;  // the event logs' clock at simulated time 0
  in.time_limit_ns = plan_.time_limit_ns;
  in.latencies_ns = latencies_ns_;
  in.history = std::make_shared<Result<records::History>>(history_->Finish());
  const std::vector<std::string> names = CheckersOf(plan_);
  for (const auto& n : names) {
    if (n != "raft-invariants") in.checkers.push_back(n);
  }
  json ran = RunCheckers(in);
  json out = json::object();
  for (const auto& n : names) {
    if (n != "raft-invariants") {
      out[n] = ran[n];
      continue;
    }
    const auto& inv = cluster_->invariants();
    json r = {{"valid", inv.ok()},
              {"simulated", true},
              {"leaders_elected", inv.leaders_elected()},
              {"max_commit", inv.max_commit()},
              {"explanation",
               inv.ok() ? "Raft's safety invariants held after every simulated millisecond "
                          "(raft/sim/invariants.h: election safety, log matching, leader "
                          "completeness, state machine safety)"
                        : "violated: " + inv.violation()}};
    if (!inv.ok()) r["violation"] = inv.violation();
    out[n] = r;
  }
  return out;
}

SimOutcome SimRun::Run() {
  SimOutcome res;
  TestOutcome& out = res.outcome;
  out.name = plan_.name;
  out.expect = plan_.expect;
  out.system = plan_.system;
  const int64_t wall_start = SystemClock::Get().WallNanos();
  const int64_t mono_start = MonoNow();
  seed_ = plan_.seed.value_or(1);
  plan_.seed = seed_;
  out.seed = seed_;
  if (std::string why = SimUnsupportedReason(plan_); !why.empty()) {
    out.valid = "unknown";
    out.why = why;
    out.exit_code = 2;
    return res;
  }
  try {
    run_dir_ = MakeRunDir(opt_.store, plan_.name);
  } catch (const std::exception& e) {
    out.exit_code = 255;
    out.valid = "unknown";
    out.why = std::string("cannot create the run directory: ") + e.what();
    return res;
  }
  out.run_dir = run_dir_;
  std::ofstream(run_dir_ + "/plan.yaml") << PlanToYaml(plan_);
  std::string why_unknown;
  try {
    Setup();
    // The workload and the nemesis to the time limit; every slot then ends within its timeout.
    const int64_t end_ms = plan_.time_limit_ns / kSimNsPerMs;
    const int64_t hard_end_ms =
        end_ms + plan_.workload.op_timeout_ns / kSimNsPerMs + 2 * plan_.recovery_ns / kSimNsPerMs + 10'000;
    auto busy = [&] {
      for (const Slot& s : slots_) {
        if (s.active || (s.final && !s.final_ops.empty())) return true;
        if (!s.final && !s.exhausted) return true;
      }
      return false;
    };
    while (cluster_->ok() && busy() && NowMs() < hard_end_ms) Unit(hard_end_ms);
    main_phase_ = false;
    if (cluster_->ok()) {
      // Heal everything, then the final reads, retried until ok for 2 × recovery.
      (void)nemesis_->HealAll();
      const auto ops = workload_->FinalReads();
      if (!ops.empty()) {
        Slot f;
        f.index = slots_.size();
        f.final = true;
        f.st.process = next_process_++;
        f.final_ops.assign(ops.begin(), ops.end());
        slots_.push_back(std::move(f));
        const int64_t final_end = NowMs() + 2 * plan_.recovery_ns / kSimNsPerMs;
        while (cluster_->ok() && busy() && NowMs() < final_end) Unit(final_end);
      }
    }
    if (!cluster_->ok()) {
      res.violation = cluster_->violation();
      Abandon("the simulation stopped at a Raft invariant violation");
    } else {
      Abandon("the run's time ran out");
    }
    (void)nemesis_->HealAll();
  } catch (const std::exception& e) {
    why_unknown = std::string("simulator failure: ") + e.what();
  }
  nemesis_log_.close();
  if (nodes_) WriteEventLogs();
  res.sim_wall_s = (MonoNow() - mono_start) / 1e9;
  res.simulated_s = cluster_ ? NowMs() / 1e3 : 0;
  res.configuration_changes = cluster_ ? cluster_->conf_changes_applied() : 0;

  json checkers = json::object();
  json valid = "unknown";
  if (why_unknown.empty()) {
    checkers = Check();
    valid = VerdictOfCheckers(checkers, &why_unknown);
  }
  if (!why_unknown.empty() && valid != false) valid = "unknown";
  if (history_ && (opt_.write_valid_history || valid != true)) {
    std::ofstream(run_dir_ + "/history.jsonl", std::ios::trunc | std::ios::binary)
        << history_->text();
  }
  records::HistoryCounts counts = history_ ? history_->counts() : records::HistoryCounts{};
  out.stats = RunStats(counts.invokes, counts.ok, counts.fail, counts.info, plan_.time_limit_ns,
                       nemesis_ ? nemesis_->started() : 0);
  out.valid = valid;
  out.why = why_unknown;
  out.exit_code = ExitCodeFor(valid, plan_.expect);
  if (checkers.contains("perf")) out.perf = checkers["perf"];
  res.wall_s = (MonoNow() - mono_start) / 1e9;
  out.duration_s = res.wall_s;
  json results = ResultsJson(plan_, seed_, UtcStamp(wall_start, false), out, checkers);
  results["simulated"] = true;
  results["simulation"] = {{"simulated_s", res.simulated_s},
                           {"wall_s", res.wall_s},
                           {"simulation_wall_s", res.sim_wall_s},
                           {"speed", res.simulated_s / std::max(1e-9, res.wall_s)},
                           {"configuration_changes", res.configuration_changes},
                           {"events_origin_ns", SimNodes::kEventsOriginNs},
                           {"violation", res.violation}};
  WriteJsonFile(run_dir_ + "/results.json", results);
  if (opt_.write_report) (void)results::WriteReport(run_dir_);
  return res;
}

}  // namespace

std::string SimUnsupportedReason(const TestPlan& plan) {
  const std::string where = plan.source_file + ":" + std::to_string(plan.line) + ": ";
  if (plan.system != "splitbrain") {
    return where + "system: system " + plan.system +
           " cannot be simulated: it is not splitbrain's own code";
  }
  if (!plan.hosts.empty()) return where + "hosts: a simulated run has no hosts";
  if (!SimulatedWorkloads().count(plan.workload.name)) {
    return where + "workload.name: '" + plan.workload.name +
           "' is not simulated yet (the simulator runs the register, kv, set, counter, bank and "
           "lock workloads)";
  }
  std::vector<std::string> faults = plan.nemesis.faults;
  for (const auto& s : plan.nemesis.schedule) faults.push_back(s.kind);
  for (const auto& f : faults) {
    if (!SimulatedFaults().count(f)) {
      return where + "nemesis: fault " + f + " is not simulated yet";
    }
  }
  if (auto flags = ReadNodeFlags(plan.node.args); !flags.ok()) {
    return where + flags.status().message();
  }
  for (const auto& c : CheckersOf(plan)) {
    const checker::CheckerKind* k = checker::FindCheckerKind(c);
    // raft-invariants is the simulator's own; term-churn reads the start and role events the
    // simulated nodes write (SimNodes::events).
    if (c != "raft-invariants" && c != "term-churn" && k &&
        k->reads.find("events.jsonl") != std::string::npos) {
      return where + "checkers: " + c +
             " is not simulated yet: it reads the nodes' event logs, which a simulated run "
             "does not write";
    }
  }
  return "";
}

SimOutcome SimulateTest(const TestPlan& plan, const SimOptions& options) {
  SimRun run(plan, options);
  return run.Run();
}

}  // namespace splitbrain::harness::sim

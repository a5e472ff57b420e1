// Cluster: a seeded, in-memory cluster of raft cores for simulation. Time is counted in "units"
// (a tick is Options::tick_units units). The network drops, duplicates, delays and reorders
// messages and obeys a set of blocked directed links (partitions of any shape, one-way
// included). A nemesis crashes (only durable state survives), restarts, pauses, partitions,
// changes membership and asks for snapshots and leadership transfers. After every unit the
// invariants (raft/sim/invariants.h) are checked. Every random choice comes from Options::seed,
// so a seed replays exactly. Not thread-safe.
// An Application (optional) is the state machine on each node instead of the built-in hash: it
// sees every boot, crash, applied entry, restored snapshot and ReadState, and its image travels
// in the snapshots (harness/sim/ runs splitbrain-node's state machine through it).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/rng.h"
#include "raft/raft.h"
#include "raft/sim/invariants.h"

namespace splitbrain::raft::sim {

// The application on every node of a Cluster (Options::app). Called from inside Run(), in the
// order the node would act; must not call back into the Cluster.
class Application {
 public:
  virtual ~Application() = default;
  // The node started: its state machine is empty (a restart then gets Restored, if it had a
  // snapshot, and the committed entries after it again).
  virtual void Started(NodeId id) = 0;
  // The node's process died: every request it held is lost.
  virtual void Crashed(NodeId id) = 0;
  // The state machine is replaced by `image` (from Image()), taken at `index`.
  virtual void Restored(NodeId id, uint64_t index, const std::string& image) = 0;
  // The leader's snapshot arrived (InstallSnapshot) and is durable: the node installs `image`,
  // taken at `index`. By default as a restart does; an application whose install path differs
  // (splitbrain-node's, with its planted bug install-keeps-state) overrides it. Afterwards the
  // cluster compares Image() with `image`: a state machine that did not become the snapshot's
  // state is an invariant violation (Invariants::OnInstalledImage).
  virtual void Installed(NodeId id, uint64_t index, const std::string& image) {
    Restored(id, index, image);
  }
  // The entries of one Ready are durable on the node (before the Ready's messages go out): what
  // a node that acknowledges writes before commit answers on (planted bug ack-before-commit).
  virtual void Persisted(NodeId id, const std::vector<Entry>& entries) {
    (void)id;
    (void)entries;
  }
  virtual void Applied(NodeId id, const Entry& entry) = 0;
  // A ReadIndex the application asked for (Raft::ReadIndex) is confirmed at rs.index.
  virtual void ReadReady(NodeId id, const ReadState& rs) = 0;
  // The state machine's image, for a snapshot at the node's applied index.
  virtual std::string Image(NodeId id) = 0;
};

struct Options {
  uint64_t seed = 1;
  int voters = 3;  // ids 1..voters start as the cluster
  int spares = 0;  // ids voters+1 .. voters+spares start outside it (for membership changes)
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  int tick_units = 10;  // units per tick
  int min_delay = 1;    // message delay, units
  int max_delay = 15;
  double drop = 0.02;       // probability a message is lost (while faults are on)
  double duplicate = 0.02;  // probability a message is delivered twice
  uint64_t max_entries_per_msg = 8;
  uint64_t max_inflight = 4;
  uint64_t snapshot_chunk_bytes = 24;
  bool pre_vote = true;
  bool check_quorum = true;
  bool lease_reads = false;
  // false: the node never fsyncs its log (splitbrain-node's planted bug `no-fsync`): what it
  // writes survives a kill (the page cache) but not LoseUnsynced; a snapshot is still fsynced,
  // with the log rewritten behind it (node/storage.cc SaveSnapshot). true: every Ready is
  // durable before its messages go out, so LoseUnsynced loses nothing.
  bool sync = true;
  Config::Bugs bugs;
  // true: every message is encoded and decoded by the node's wire codec (raft/codec.h) on its
  // way, so the receiver gets what was decoded, as in splitbrain-node. The codec is lossless,
  // so false is the same run, faster (harness/sim turns it off; this folder's tests keep it).
  bool wire_codec = true;

  // Client load, per unit.
  double propose_rate = 0.05;
  double read_rate = 0.03;
  // Nemesis: a new fault roughly every `fault_every` units (0 = none).
  int fault_every = 150;
  bool crashes = true;
  bool partitions = true;
  bool pauses = false;
  bool membership = false;
  bool transfers = false;
  double target_leader = 0.3;    // chance a crash or isolation hits the current leader
  double snapshot_rate = 0.002;  // per node per unit
  // The state machine on each node (not owned; must outlive the Cluster); null: only the hash.
  Application* app = nullptr;
};

class Cluster {
 public:
  explicit Cluster(Options options);
  ~Cluster();

  // Runs `units` units of time, stopping at the first invariant violation. Returns ok().
  bool Run(int units);
  // The first unit after now() in which Run(1) would do more than an idle unit does (draw the
  // built-in load's chances): a message due, a node's tick, a Ready waiting, a nemesis timer;
  // now() + 1 whenever the built-in load, snapshots or nemesis are on (they act every unit).
  uint64_t NextBusyUnit() const;
  // Runs the idle units up to `unit` (exclusive; at most NextBusyUnit()) without visiting the
  // nodes: only the clock moves and the random source makes the draws those units make, so a
  // run that skips idle units is the same run as one that does not (the simulator's speed).
  void SkipIdleUntil(uint64_t unit);
  // Ends every fault: links healed, crashed nodes restarted, paused nodes resumed, no loss.
  void StopFaults();
  // Liveness: runs until some leader is known to every live voter (or, with `quorum_only`, to a
  // majority) and a fresh proposal is applied by them. Returns the units it took, or -1 after
  // `max_units`.
  int AwaitProgress(int max_units, bool quorum_only = false);

  bool ok() const { return inv_.ok(); }
  std::string violation() const { return inv_.violation(); }
  const Invariants& invariants() const { return inv_; }

  // Direct control, for scripted scenarios.
  void Crash(NodeId id);
  void Restart(NodeId id);
  void Pause(NodeId id);
  void Resume(NodeId id);
  // Power loss on a crashed node: what it did not fsync is gone (Options::sync). Returns how many
  // log entries it lost; *hard_state_lost: its term, vote or commit went back.
  uint64_t LoseUnsynced(NodeId id, bool* hard_state_lost = nullptr);
  // The node's disk emptied (a removed member coming back as a new one): crashed, no durable
  // state, and from now on it boots with no configuration, waiting for the leader to add it.
  void Wipe(NodeId id);
  // The node's disk faults (harness/sim's disk-error, disk-full and slow-disk, as splitbrain-fs
  // does them in the lab; a default DiskFaults heals them). splitbrain-node stops at its disk's
  // first failed write or fsync (node.cc PersistLoop: _Exit) before anything of that Ready goes
  // out, and cannot start while its reads or fsyncs fail; here the same: the node crashes at the
  // failing Ready (or snapshot save) and a Restart leaves it down. A failed fsync is taken as
  // losing the write (Linux drops the dirty pages after a failed writeback). A slow disk holds
  // each Ready's messages (heartbeats and their answers aside: node.cc sends those at once) and
  // its applying until the write and fsync are done, `write_delay` for any write plus
  // `fsync_delay` when the Ready must be fsynced (entries, a snapshot, a new term or vote); the
  // core meanwhile ticks, steps and hands out further Readys, queued behind (the node's
  // persist thread and its staged Readys).
  struct DiskFaults {
    bool fail_read = false, fail_write = false, fail_fsync = false;  // disk-error's ops
    double share = 1;        // disk-error: the share of those calls that fail
    bool full = false;       // disk-full: every write fails (ENOSPC)
    uint64_t fsync_delay = 0;  // slow-disk, units
    uint64_t write_delay = 0;
  };
  void SetDiskFaults(NodeId id, const DiskFaults& faults) { at(id).disk = faults; }
  // Bitrot that the node's checksums caught: it refuses to start on its log (splitbrain-node
  // exits 3), so Restart leaves it down for the rest of the run.
  void RefuseStart(NodeId id) { at(id).refuses_start = true; }
  // The node's durable state, and what of it was fsynced (equal unless !Options::sync).
  DurableState durable(NodeId id) const;
  DurableState synced(NodeId id) const;
  // Replaces what a crashed node's disk holds (after a torn power loss or bitrot, as the node's
  // own storage recovered it): both its durable and its synced state.
  void SetDurable(NodeId id, const DurableState& state);
  // The node's clock runs at `rate` (1: true time): it ticks `rate` times as often (clock skew
  // as a tick-rate change). Its ticks keep their phase when the rate returns to 1.
  void SetTickRate(NodeId id, double rate);
  // The node keeps `share` of one CPU (1: all of it): it runs the first share of every
  // kDutyUnits units and is held, as paused, for the rest (a cgroup's quota per period).
  void SetCpuShare(NodeId id, double share);
  static constexpr uint64_t kDutyUnits = 100;
  // Messages from `from` to `to` take `mean` ± `jitter` units longer (uniform; never less than
  // the base delay), as they are sent; mean 0 and jitter 0 remove the rule. Draws from the
  // cluster's random source only for a rule with jitter.
  void SetLinkDelay(NodeId from, NodeId to, uint64_t mean, uint64_t jitter);
  void ClearLinkDelays() { link_delay_.clear(); }
  void Block(NodeId from, NodeId to) { blocked_.insert({from, to}); }
  void Unblock(NodeId from, NodeId to) { blocked_.erase({from, to}); }
  void HealLinks() { blocked_.clear(); }
  // Messages from `from` to `to` are lost with `probability` (0 removes the rule); on top of
  // Options::drop, and whether or not faults are on.
  void SetLoss(NodeId from, NodeId to, double probability);
  void ClearLoss() { loss_.clear(); }
  // Message-level faults, which only a simulator can make (a lab's network carries packets, not
  // Raft messages): each message of `type` on a matching link (from/to kNoNode: any) is, as it
  // is sent, dropped, held `hold` units longer (kDelay), or held a uniform 0..`hold` units
  // longer (kReorder: later ones overtake it). The first matching rule applies. Replaces every
  // rule; empty: none. Draws from the cluster's random source only for kReorder.
  struct MessageRule {
    enum Mode { kDrop, kDelay, kReorder };
    MessageType type = MessageType::kApp;
    Mode mode = kDrop;
    NodeId from = kNoNode, to = kNoNode;
    uint64_t hold = 0;  // units (kDelay, kReorder)
  };
  void SetMessageRules(std::vector<MessageRule> rules) { message_rules_ = std::move(rules); }
  bool paused(NodeId id) const { return at(id).paused; }
  // Paused, or held by its CPU share now: it neither ticks nor receives.
  bool halted(NodeId id) const { return at(id).paused || at(id).off_duty; }
  uint64_t applied(NodeId id) const { return at(id).applied; }
  int size() const { return static_cast<int>(nodes_.size()); }
  // The application's snapshot of node `id` now (what a node does every N entries or on
  // request): kUnavailable when it is down or paused; *index is the latest snapshot's index.
  Err SnapshotNow(NodeId id, uint64_t* index);
  // Proposes at whichever node is leader; false if none accepted.
  bool Propose(const std::string& data);
  void ReadAt(NodeId id);
  Raft* node(NodeId id);  // nullptr when crashed
  bool up(NodeId id) const;
  NodeId Leader() const;  // the live leader with the highest term, or kNoNode
  uint64_t now() const { return now_; }
  uint64_t max_term() const;
  uint64_t commits() const { return inv_.max_commit(); }
  // Leader changes seen (each (term, leader) once).
  uint64_t elections() const { return inv_.leaders_elected(); }
  uint64_t reads_served() const { return reads_served_; }
  uint64_t conf_changes_applied() const { return conf_changes_; }
  uint64_t snapshots_installed() const { return snapshots_installed_; }
  std::string Describe() const;  // one line per node

 private:
  struct Durable {
    HardState hs;
    Snapshot snapshot;
    std::vector<Entry> entries;
  };
  struct SimNode {
    NodeId id = 0;
    std::unique_ptr<Raft> raft;  // null = crashed
    bool paused = false;
    bool off_duty = false;  // held by its CPU share this unit (SetCpuShare)
    int tick_phase = 0;
    double tick_rate = 1;    // SetTickRate; 1: ticks where (now + tick_phase) % tick_units == 0
    double tick_credit = 0;  // units of its own clock since its last tick (tick_rate != 1)
    double cpu_share = 1;
    bool joining = false;  // wiped: boots with no configuration (Wipe)
    Durable durable;
    Durable synced;  // !Options::sync: what survives LoseUnsynced (its last snapshot's save)
    DiskFaults disk;
    bool refuses_start = false;  // RefuseStart
    bool disk_failed = false;    // a snapshot save failed: it crashes at the next unit
    // Readys persisted on a slow disk, waiting for their write and fsync to finish: what of
    // each is still to do (send, apply) and from when.
    struct Staged {
      uint64_t at = 0;
      std::vector<Message> messages;
      std::optional<Snapshot> snapshot;
      std::vector<Entry> committed;
      std::vector<ReadState> read_states;
    };
    std::vector<Staged> staged;
    uint64_t applied = 0;
    uint64_t state_hash = 0;
    std::map<std::string, uint64_t> reads;  // ctx -> required index
  };
  // A message on the wire: the heap orders these small keys; the message itself stays in
  // `wire_[slot]` until delivered (a Message is large, and the heap moved each one ~log n times).
  struct InFlight {
    uint64_t at;
    uint64_t seq;
    uint32_t slot;
    bool operator<(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  Config MakeConfig(NodeId id, bool first_start);
  void Boot(SimNode& n, bool first_start);
  void Unit();
  void ProcessReady(SimNode& n);
  // A Ready's steps after it is durable: send its messages, install its snapshot, apply its
  // committed entries, hand its ReadStates out.
  void FinishReady(SimNode& n, std::vector<Message>& messages, const std::optional<Snapshot>& snap,
                   const std::vector<Entry>& committed, const std::vector<ReadState>& read_states);
  // True when a disk call the faults fail fails now (draws from the random source only then).
  bool DiskFails(SimNode& n, bool write, bool fsync);
  void Deliver(const Message& m);
  void SendAll(std::vector<Message>& msgs);
  void Nemesis();
  void ClientOps();
  void Check(SimNode& n);
  // Takes the snapshot of `n` at its applied index and persists it (ClientOps, Snapshot).
  Err TakeSnapshot(SimNode& n);
  SimNode& at(NodeId id) { return nodes_[id - 1]; }
  const SimNode& at(NodeId id) const { return nodes_[id - 1]; }

  Options opt_;
  Rng rng_;
  Invariants inv_;
  std::vector<SimNode> nodes_;
  std::vector<InFlight> net_;  // a heap
  std::vector<Message> wire_;        // the messages of net_, by slot
  std::vector<uint32_t> free_wire_;  // slots of wire_ not in use
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::map<std::pair<NodeId, NodeId>, double> loss_;  // (from, to) -> probability
  std::vector<MessageRule> message_rules_;
  struct LinkDelay {
    uint64_t mean = 0, jitter = 0;
  };
  std::map<std::pair<NodeId, NodeId>, LinkDelay> link_delay_;
  bool faults_on_ = true;
  bool load_on_ = true;
  std::map<NodeId, uint64_t> restart_at_, resume_at_;
  uint64_t heal_at_ = 0;
  uint64_t next_fault_ = 0;
  uint64_t proposals_ = 0;
  uint64_t reads_ = 0;
  uint64_t reads_served_ = 0;
  uint64_t conf_changes_ = 0;
  uint64_t max_conf_index_ = 0;
  uint64_t snapshots_installed_ = 0;
};

}  // namespace splitbrain::raft::sim

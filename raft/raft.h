// Raft: the consensus algorithm as a deterministic state machine, in etcd-raft's shape. The
// caller feeds it ticks (Tick), messages (Step) and requests (Propose, ReadIndex, ...), and
// collects its output with GetReady(). It does no I/O, owns no thread and reads no clock; the
// random source is injected (Config::rand). One Raft per server; not thread-safe.
//
// THE ORDERING RULE, for every Ready `rd` returned by GetReady():
//   1. Persist, durably (fsync), in this order: rd.snapshot (if set: it replaces the whole stored
//      log), rd.entries (replacing any stored entry with index >= rd.entries.front().index),
//      rd.hard_state (if set).
//   2. Only then send rd.messages (any order; they may be lost, duplicated or reordered).
//   3. Apply rd.snapshot to the state machine (if set), then rd.committed_entries in order, and
//      serve rd.read_states once the state machine has applied ReadState::index.
//   4. Call Advance().
// GetReady() marks everything in the Ready as handed out: if persisting fails, the process must
// stop (and restart from what is durable), never carry on.
// Sending a message before its Ready is durable can elect two leaders in a term or lose a
// committed entry after a crash. Step 3 may run in parallel with 1-2 only if the application never
// exposes an applied entry before it is durable; the simple sequential order is always safe.
// One exception, with Config::leader_counts_durable_only: a leader's kApp messages may go out
// before their Ready is durable (thesis §10.2.1); the caller then reports each durable prefix
// with Persisted(index, term) once it is fsynced, and the leader counts itself toward a commit
// only up to it.
//
// Restart: build a new Raft with Config::restore holding exactly what was persisted (snapshot,
// entries after it, hard state). The application restores its state machine from that snapshot
// itself; the committed entries after it are handed out again for applying.
//
// First start: every initial member passes the same Config::initial_membership and writes the
// same bootstrap entry 1 (term 1, kConfig, data = EncodeMembership(initial)), handed out in the
// first Ready like any entry. A joining node passes an empty membership and learns it from the
// log (or a snapshot). Apply a kConfig entry by trying DecodeMembership (the whole configuration:
// replace) and then DecodeConfChange (one change). Raft::membership() is the configuration as
// of the commit index (changes take effect when committed).
//
// Typical loop (one thread):
//   every tick_ms:          raft.Tick();
//   on a peer message:      raft.Step(DecodeMessage(bytes));
//   on a client write:      raft.Propose(cmd, &index)   (answer when `index` is applied with the
//                                                        same term; kNotLeader -> redirect)
//   on a client read:       raft.ReadIndex(id)          (answer when a ReadState{index, id}
//                                                        appears and applied >= index)
//   then:                   while (raft.HasReady()) { rd = raft.GetReady(); persist; send;
//                                                     apply; raft.Advance(); }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft/log.h"
#include "raft/types.h"

namespace splitbrain::raft {

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);  // "follower", "pre-candidate", "candidate", "leader"

// Why a request was refused. kOk means accepted (not yet committed).
enum class Err : uint8_t {
  kOk = 0,
  kNotLeader,          // only the leader proposes; see BasicStatus::leader
  kPendingConfChange,  // a membership change is in flight, or the leader has not yet committed an
                       // entry of its term (dissertation §4.1 / the single-server bug fix)
  kTransferring,       // a leadership transfer is in progress: proposals are paused
  kInvalid,            // malformed request (bad conf change, unknown transfer target, ...)
  kCompacted,          // CreateSnapshot at or below the existing snapshot
  kUnavailable,        // CreateSnapshot above the applied index
  kStaleMessage,       // Step: message dropped (old term, not for us, ...); harmless
};
const char* ErrName(Err err);

// Durable state handed back at restart; empty = a brand-new node.
struct DurableState {
  HardState hard_state;
  Snapshot snapshot;           // the latest persisted snapshot (may be empty)
  std::vector<Entry> entries;  // persisted entries after snapshot.meta.index, contiguous
};

struct Config {
  NodeId id = kNoNode;            // this node; must be > 0
  Membership initial_membership;  // used only when restore holds no snapshot; a node joining an
                                  // existing cluster passes an empty one and waits for the leader
  DurableState restore;           // what was persisted; empty for a first start

  int election_ticks = 10;             // followers campaign after a random timeout in
                                       // [election_ticks, 2*election_ticks) ticks without a leader
  int heartbeat_ticks = 1;             // leader heartbeat period; must be < election_ticks
  uint64_t max_entries_per_msg = 256;  // batching: entries per AppendEntries
  uint64_t max_bytes_per_msg = 1 << 20;  // soft byte limit per AppendEntries (at least 1 entry)
  uint64_t max_inflight_msgs = 256;      // flow control: unacknowledged AppendEntries per follower
  uint64_t snapshot_chunk_bytes = 64 * 1024;  // InstallSnapshot chunk size
  bool pre_vote = true;      // §9.6: do not bump terms unless a majority would vote for us
  bool check_quorum = true;  // §6.2: a leader that has not heard a quorum in election_ticks steps
                             // down; followers that heard a leader recently ignore vote requests
                             // (as does a restarted node for its first election_ticks ticks)
  bool lease_reads = false;  // ReadIndex served from the leader lease (needs check_quorum; trusts
                             // that ticks advance at the same rate everywhere)
  // A ReadIndex round's heartbeat goes only to as many voters as complete a quorum with the
  // leader — those that answered the latest round first — instead of to every follower: the
  // answers the others would send add nothing to it. A round not confirmed within a whole tick is
  // sent to every follower (so is every periodic heartbeat). Off: every round goes to everyone.
  bool targeted_read_rounds = true;
  // Thesis §10.2.1: the leader writes its log in parallel with its followers. The caller may
  // send a leader's AppendEntries (kApp) before their Ready is durable; the leader then counts
  // itself toward a commit only up to what the caller reported durable with Persisted(). Off:
  // every message waits for its Ready (the ordering rule) and the leader counts its whole log.
  bool leader_counts_durable_only = false;

  // Injected randomness: returns uniformly random 64-bit values. Seed it. Empty = a splitmix64
  // stream seeded with `id` (still deterministic).
  std::function<uint64_t()> rand;

  // Planted bugs (DESIGN.md). Off by default: with all off the algorithm is correct.
  struct Bugs {
    bool commit_old_term = false;  // count replicas for earlier-term entries (§5.4.2 violated)
    bool no_prevote = false;       // disables Pre-Vote AND CheckQuorum
    bool lease_read = false;       // lease reads, with a lease lasting 4 election timeouts past
                                   // the last quorum contact: a deposed leader serves stale reads
    bool stale_read = false;       // ReadIndex answered at once from the local commit index, on
                                   // any node, without confirming leadership
    bool snapshot_drops_config = false;  // CreateSnapshot records initial_membership instead of
                                         // the configuration in force at its index, so a node
                                         // restored from it (disk or leader) forgets changes
  } bugs;
};

// A linearizable read: once the state machine has applied `index`, serve the read `context`.
struct ReadState {
  uint64_t index = 0;
  std::string context;  // the id given to ReadIndex
  bool operator==(const ReadState&) const = default;
};

struct SoftState {
  NodeId leader = kNoNode;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

struct Ready {
  std::optional<SoftState> soft_state;   // set when leader or role changed (not persisted)
  std::optional<HardState> hard_state;   // set when it changed: persist it
  std::optional<Snapshot> snapshot;      // a snapshot received from the leader: persist + install
  std::vector<Entry> entries;            // persist (overwrite from entries.front().index)
  std::vector<Entry> committed_entries;  // apply, in order, after persisting
  std::vector<Message> messages;         // send after persisting
  std::vector<ReadState> read_states;    // serve each once applied >= index
  bool empty() const {
    return !soft_state && !hard_state && !snapshot && entries.empty() &&
           committed_entries.empty() && messages.empty() && read_states.empty();
  }
};

struct BasicStatus {
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  NodeId leader = kNoNode;
  uint64_t term = 0;
  NodeId vote = kNoNode;
  uint64_t commit = 0;
  uint64_t applied = 0;      // last index handed out in committed_entries (or snapshot)
  uint64_t first_index = 0;  // first index still in the log
  uint64_t last_index = 0;
  uint64_t snapshot_index = 0;
  Membership membership;        // the configuration in force (committed changes applied)
  NodeId transferee = kNoNode;  // leadership transfer target in progress
};

// Replication state of one follower, kept by the leader (etcd's Progress).
struct Progress {
  enum class State : uint8_t { kProbe, kReplicate, kSnapshot };
  State state = State::kProbe;
  uint64_t match = 0;
  uint64_t next = 1;
  bool paused = false;             // probe: one AppendEntries until answered or heartbeat
  bool recent_active = false;      // heard from since the last CheckQuorum round
  std::vector<uint64_t> inflight;  // last index of each unacknowledged AppendEntries (FIFO)
  uint64_t snapshot_index = 0;     // kSnapshot: the snapshot being sent
  uint64_t snapshot_offset = 0;    // kSnapshot: bytes acknowledged
  int snapshot_idle = 0;           // ticks since the last chunk answer
  uint64_t last_ack_tick = 0;      // leader tick of the last heartbeat this peer answered
  uint64_t empty_probe_from = 0;   // heartbeat answers send an empty AppendEntries from this tick
  uint64_t read_round_acked = 0;   // the latest ReadIndex round this peer confirmed
  uint64_t read_ack_order = 0;     // when it did (the leader's count of such answers): of two
                                   // peers at the same round, the one that answered it first
};

class Raft {
 public:
  explicit Raft(Config config);

  // Advances logical time by one tick: election timeout (followers/candidates), heartbeats and
  // CheckQuorum (leader).
  void Tick();
  // Handles a message from a peer. kStaleMessage means it was ignored; that is not an error.
  Err Step(const Message& m);

  // Appends a command (leader only). `index` (optional) receives its log index.
  Err Propose(std::string data, uint64_t* index = nullptr);
  // Appends several commands at once, one Entry each, contiguous from *first_index.
  Err ProposeBatch(std::vector<std::string> data, uint64_t* first_index = nullptr);
  // Proposes a single-server membership change (leader only; one at a time).
  Err ProposeConfChange(const ConfChange& cc, uint64_t* index = nullptr);
  // Requests a linearizable read; a ReadState with `context` appears in a later Ready. A read
  // that cannot be confirmed (no leader, leadership lost) is silently dropped: the caller times
  // out and reports the read as failed (nothing was written).
  Err ReadIndex(std::string context);
  // Leader: hand leadership to `to` (a voter) once it is caught up (§3.10, TimeoutNow). A
  // follower forwards the request to its leader on behalf of `to`.
  Err TransferLeadership(NodeId to);
  // Starts an election now (as if the election timeout fired); for tests and tools.
  void Campaign();

  // The application has a snapshot of its state machine at `index` (<= applied): discard the log
  // up to `index` and keep `data` to send to followers that fall behind. The application then
  // persists snapshot() (its meta carries the membership at `index`) and may delete its stored
  // entries <= index. At restart it restores its state machine from that snapshot itself.
  Err CreateSnapshot(uint64_t index, std::string data);

  bool HasReady() const;
  Ready GetReady();
  void Advance();
  // With Config::leader_counts_durable_only: every entry up to (index, term) is durable (the
  // last entry of the Readys persisted so far; a later report replaces an earlier one).
  void Persisted(uint64_t index, uint64_t term);

  BasicStatus Status() const;
  const Progress* ProgressOf(NodeId id) const;  // leader only; nullptr otherwise
  // Leader only: `id` holds every committed entry (a learner ready to be promoted, §4.2.1).
  // Promotion is the caller's decision; ProposeConfChange does not wait for it.
  bool CaughtUp(NodeId id) const;
  NodeId id() const { return id_; }
  Role role() const { return role_; }
  uint64_t term() const { return term_; }
  NodeId leader() const { return leader_; }
  const RaftLog& log() const { return log_; }
  const Membership& membership() const { return membership_; }
  // The latest snapshot (taken with CreateSnapshot, received, or restored). After a successful
  // CreateSnapshot, persist this and drop the stored entries up to snapshot().meta.index.
  const Snapshot& snapshot() const { return snapshot_; }

 private:
  void BecomeFollower(uint64_t term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void StartElection(bool pre_vote, bool transfer);
  void ResetTimers();
  void ResetRandomizedTimeout();
  uint64_t Random();

  Err StepLeader(const Message& m);
  Err StepFollower(const Message& m);
  Err StepCandidate(const Message& m);

  void HandleRequestVote(const Message& m);
  void HandleAppendEntries(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshotChunk(const Message& m);
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  void HandleSnapshotResponse(const Message& m);
  void HandleReadIndexRequest(const Message& m);

  void Send(Message m);
  void SendAppend(NodeId to, bool allow_empty);
  void SendSnapshotChunk(NodeId to);
  void BroadcastAppend();
  void BroadcastHeartbeat();
  void SendHeartbeat(NodeId to, Progress& pr);
  // The heartbeat of ReadIndex round read_seq_: to a quorum's worth of voters (or everyone).
  void SendReadRound();
  bool AdvanceCommitIndex();
  // The leader's own match index: its last index, or its last durable one (§10.2.1).
  uint64_t SelfMatch() const;
  void CommitTo(uint64_t index);
  bool AppendEntriesAsLeader(std::vector<Entry> entries);
  void ApplyMembershipUpTo(uint64_t index);
  void SetMembership(const Membership& m);
  void ResetProgress();
  bool QuorumActive();
  bool CommittedEntryInCurrentTerm() const;
  void HandleReadRequest(std::string context, NodeId requester);
  void StartRead(std::string context, NodeId requester);
  void AddReadState(uint64_t index, const std::string& context, NodeId requester);
  uint64_t LeaseExpiry() const;
  bool Promotable() const { return membership_.IsVoter(id_); }
  int Quorum() const { return static_cast<int>(membership_.voters.size() / 2 + 1); }
  void AbortTransfer();

  Config cfg_;
  NodeId id_;
  uint64_t term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  RaftLog log_;
  Membership membership_;
  uint64_t membership_index_ = 0;  // log index of the change that produced membership_
  // (index, configuration) of every change since the snapshot, the snapshot's first.
  std::vector<std::pair<uint64_t, Membership>> membership_history_;
  uint64_t conf_scan_ = 0;               // config entries applied up to here
  uint64_t pending_conf_index_ = 0;      // leader: index of the last change (or its noop)
  bool need_broadcast_ = false;          // leader: entries to send, batched until GetReady
  std::vector<uint64_t> match_scratch_;  // leader: AdvanceCommitIndex's buffer
  // The last durable entry as Persisted() reported it (or as restored): index 0 = none.
  uint64_t durable_index_ = 0;
  uint64_t durable_term_ = 0;
  uint64_t applied_ = 0;  // last index handed out for applying

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  uint64_t tick_count_ = 0;
  bool restarted_ = false;  // started from a persisted term (ignores votes for one timeout)
  uint64_t rand_state_ = 0;

  std::map<NodeId, bool> votes_;  // this election's answers
  std::map<NodeId, Progress> progress_;
  uint64_t leader_first_index_ = 0;  // index of this leader's noop
  NodeId transferee_ = kNoNode;
  int transfer_elapsed_ = 0;
  uint64_t transfer_started_tick_ = 0;  // 0 = never

  // ReadIndex (§6.4): reads waiting for a heartbeat quorum, in arrival order.
  struct PendingRead {
    std::string context;
    NodeId requester;
    uint64_t index;
    uint64_t seq;   // heartbeat round that confirms it
    uint64_t tick;  // tick_count_ when it began (unconfirmed a whole tick later: to everyone)
    std::set<NodeId> acks;
  };
  std::vector<PendingRead> pending_reads_;
  std::vector<std::pair<std::string, NodeId>> reads_before_commit_;  // waiting for the noop
  uint64_t read_seq_ = 0;
  uint64_t read_ack_count_ = 0;  // answers that raised a peer's read_round_acked
  std::vector<std::pair<NodeId, Progress*>> round_scratch_;  // SendReadRound's voters

  // InstallSnapshot receiving side.
  SnapshotMeta incoming_snapshot_meta_;
  std::string incoming_snapshot_data_;
  NodeId incoming_snapshot_from_ = kNoNode;

  // Latest snapshot (for sending to followers).
  Snapshot snapshot_;

  // Output not yet handed out.
  HardState prev_hard_state_;
  SoftState prev_soft_state_;
  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
  std::optional<Snapshot> pending_snapshot_;  // received, to persist + install
  uint64_t stable_index_ = 0;                 // entries up to here were handed out for persisting
  uint64_t unstable_from_ = 0;  // first index to hand out (after a truncation it may drop)
};

}  // namespace splitbrain::raft

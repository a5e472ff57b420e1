#include "raft/raft.h"

#include <algorithm>
#include <cstdlib>

#include "raft/codec.h"
#include "raft/conf_entry.h"

namespace splitbrain::raft {

namespace {

[[noreturn]] void Unrecoverable() { std::abort(); }

constexpr const char* kTransferContext = "transfer";

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void InsertSorted(std::vector<NodeId>& v, NodeId id) {
  auto it = std::lower_bound(v.begin(), v.end(), id);
  if (it == v.end() || *it != id) v.insert(it, id);
}
void EraseSorted(std::vector<NodeId>& v, NodeId id) {
  auto it = std::lower_bound(v.begin(), v.end(), id);
  if (it != v.end() && *it == id) v.erase(it);
}

}  // namespace

Membership ApplyConfEntry(const Membership& cur, const Entry& e, bool* ok) {
  *ok = true;
  Membership whole;
  if (DecodeMembership(e.data, &whole)) return whole;
  ConfChange cc;
  if (!DecodeConfChange(e.data, &cc) || cc.node == kNoNode) {
    *ok = false;
    return cur;
  }
  Membership next = cur;
  switch (cc.type) {
    case ConfChange::Type::kAddVoter:
      EraseSorted(next.learners, cc.node);
      InsertSorted(next.voters, cc.node);
      break;
    case ConfChange::Type::kAddLearner:
      if (!next.IsVoter(cc.node)) InsertSorted(next.learners, cc.node);
      break;
    case ConfChange::Type::kRemove:
      EraseSorted(next.voters, cc.node);
      EraseSorted(next.learners, cc.node);
      break;
  }
  return next;
}

bool Membership::IsVoter(NodeId id) const {
  return std::binary_search(voters.begin(), voters.end(), id);
}
bool Membership::IsLearner(NodeId id) const {
  return std::binary_search(learners.begin(), learners.end(), id);
}

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResp:
      return "PreVoteResp";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResp:
      return "VoteResp";
    case MessageType::kApp:
      return "App";
    case MessageType::kAppResp:
      return "AppResp";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResp:
      return "HeartbeatResp";
    case MessageType::kSnap:
      return "Snap";
    case MessageType::kSnapResp:
      return "SnapResp";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResp:
      return "ReadIndexResp";
    case MessageType::kTransferLeader:
      return "TransferLeader";
  }
  return "?";
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

const char* ErrName(Err err) {
  switch (err) {
    case Err::kOk:
      return "ok";
    case Err::kNotLeader:
      return "not leader";
    case Err::kPendingConfChange:
      return "membership change pending";
    case Err::kTransferring:
      return "leadership transfer in progress";
    case Err::kInvalid:
      return "invalid request";
    case Err::kCompacted:
      return "already compacted";
    case Err::kUnavailable:
      return "index not applied yet";
    case Err::kStaleMessage:
      return "stale message";
  }
  return "?";
}

Raft::Raft(Config config) : cfg_(std::move(config)), id_(cfg_.id) {
  if (id_ == kNoNode || cfg_.heartbeat_ticks < 1 || cfg_.election_ticks <= cfg_.heartbeat_ticks) {
    Unrecoverable();
  }
  if (cfg_.max_entries_per_msg == 0) cfg_.max_entries_per_msg = 1;
  if (cfg_.max_inflight_msgs == 0) cfg_.max_inflight_msgs = 1;
  if (cfg_.snapshot_chunk_bytes == 0) cfg_.snapshot_chunk_bytes = 1;
  if (cfg_.bugs.no_prevote) {
    cfg_.pre_vote = false;
    cfg_.check_quorum = false;
  }
  rand_state_ = id_ * 0x2545f4914f6cdd1dULL;

  DurableState restore = std::move(cfg_.restore);
  cfg_.restore = {};
  const HardState& hs = restore.hard_state;
  restarted_ = hs.term > 0;
  term_ = hs.term;
  vote_ = hs.vote;
  if (!restore.snapshot.empty()) {
    snapshot_ = std::move(restore.snapshot);
    membership_ = snapshot_.meta.membership;
    membership_index_ = snapshot_.meta.index;
  }
  membership_history_.push_back({membership_index_, membership_});
  conf_scan_ = snapshot_.meta.index;
  log_.Reset(snapshot_.meta.index, snapshot_.meta.term, std::move(restore.entries), hs.commit);
  applied_ = snapshot_.meta.index;
  unstable_from_ = log_.LastIndex() + 1;
  prev_hard_state_ = {term_, vote_, log_.commit()};
  durable_index_ = log_.LastIndex();  // what was restored is durable
  durable_term_ = log_.LastTerm();

  if (hs.term == 0 && snapshot_.empty() && log_.LastIndex() == 0 &&
      !cfg_.initial_membership.voters.empty()) {
    // Bootstrap: every initial member writes the same entry 1 (term 1) holding the whole initial
    // configuration, committed by construction. A node that joins later learns the
    // configuration by replicating it.
    term_ = 1;
    log_.Append({Entry{1, 1, EntryType::kConfig, EncodeMembership(cfg_.initial_membership)}});
    log_.CommitTo(1);
    unstable_from_ = 1;
  }
  ApplyMembershipUpTo(log_.commit());
  ResetRandomizedTimeout();
}

uint64_t Raft::Random() { return cfg_.rand ? cfg_.rand() : SplitMix(rand_state_); }

void Raft::ResetRandomizedTimeout() {
  randomized_timeout_ =
      cfg_.election_ticks + static_cast<int>(Random() % static_cast<uint64_t>(cfg_.election_ticks));
}

void Raft::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedTimeout();
}

// ---------------------------------------------------------------------------------------------
// Role transitions

void Raft::BecomeFollower(uint64_t term, NodeId leader) {
  if (term != term_) {
    term_ = term;
    vote_ = kNoNode;
  }
  role_ = Role::kFollower;
  leader_ = leader;
  votes_.clear();
  progress_.clear();
  pending_reads_.clear();
  reads_before_commit_.clear();
  transferee_ = kNoNode;
  ResetTimers();
}

void Raft::BecomePreCandidate() {
  // §9.6: a pre-candidate keeps its term and vote; it only asks whether it could win.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
  votes_[id_] = true;
  ResetTimers();
}

void Raft::BecomeCandidate() {
  // Figure 2, Candidates: increment currentTerm, vote for self, reset election timer.
  role_ = Role::kCandidate;
  term_ += 1;
  vote_ = id_;
  leader_ = kNoNode;
  votes_.clear();
  votes_[id_] = true;
  ResetTimers();
}

void Raft::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = id_;
  votes_.clear();
  transferee_ = kNoNode;
  ResetTimers();
  ResetProgress();
  // §8 / §5.4.2: a new leader commits an entry of its own term (a no-op) before it can know
  // what is committed; reads and membership changes wait for it.
  leader_first_index_ = log_.LastIndex() + 1;
  pending_conf_index_ = leader_first_index_;
  AppendEntriesAsLeader({Entry{0, 0, EntryType::kNoop, {}}});
}

void Raft::ResetProgress() {
  progress_.clear();
  auto add = [&](NodeId id) {
    if (id == id_) return;
    Progress pr;
    pr.next = log_.LastIndex() + 1;
    pr.recent_active = true;  // give everyone one CheckQuorum round
    pr.last_ack_tick = 0;
    progress_[id] = pr;
  };
  for (NodeId id : membership_.voters) add(id);
  for (NodeId id : membership_.learners) add(id);
}

void Raft::Campaign() {
  if (role_ == Role::kLeader) return;
  StartElection(cfg_.pre_vote, false);
}

void Raft::StartElection(bool pre_vote, bool transfer) {
  if (!Promotable()) return;
  MessageType type;
  uint64_t term;
  if (pre_vote) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_ + 1;
  } else {
    BecomeCandidate();
    type = MessageType::kVote;
    term = term_;
  }
  if (static_cast<int>(votes_.size()) >= Quorum()) {  // single voter
    if (pre_vote) {
      StartElection(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId v : membership_.voters) {
    if (v == id_) continue;
    Message m;
    m.type = type;
    m.to = v;
    m.term = term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    if (transfer) m.context = kTransferContext;
    Send(std::move(m));
  }
}

// ---------------------------------------------------------------------------------------------
// Time

void Raft::Tick() {
  ++tick_count_;
  if (role_ == Role::kLeader) {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    if (transferee_ != kNoNode && ++transfer_elapsed_ >= cfg_.election_ticks) AbortTransfer();
    if (election_elapsed_ >= cfg_.election_ticks) {
      election_elapsed_ = 0;
      // §6.2 CheckQuorum: a leader that has not heard from a quorum in an election timeout
      // steps down, so clients go elsewhere and a partitioned leader stops serving.
      if (cfg_.check_quorum && !QuorumActive()) {
        BecomeFollower(term_, kNoNode);
        return;
      }
    }
    for (auto& [id, pr] : progress_) {
      if (pr.state == Progress::State::kSnapshot &&
          ++pr.snapshot_idle >= 2 * cfg_.heartbeat_ticks) {
        SendSnapshotChunk(id);  // chunk or its answer lost: resend
      }
    }
    // A read round still unconfirmed a whole tick after it began goes to everyone (its voters may
    // be the ones that stopped answering); so does the periodic heartbeat, which carries the
    // latest round too.
    const bool read_waits =
        !pending_reads_.empty() && pending_reads_.front().tick + 1 < tick_count_;
    if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks || read_waits) {
      if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) heartbeat_elapsed_ = 0;
      BroadcastHeartbeat();
    }
    return;
  }
  ++election_elapsed_;
  if (Promotable() && election_elapsed_ >= randomized_timeout_) {
    election_elapsed_ = 0;
    StartElection(cfg_.pre_vote, false);
  }
}

bool Raft::QuorumActive() {
  int active = membership_.IsVoter(id_) ? 1 : 0;
  for (auto& [id, pr] : progress_) {
    if (membership_.IsVoter(id) && pr.recent_active) ++active;
    pr.recent_active = false;
  }
  return active >= Quorum();
}

// ---------------------------------------------------------------------------------------------
// Messages in

Err Raft::Step(const Message& m) {
  if (m.to != id_ || m.from == id_ || m.from == kNoNode) return Err::kStaleMessage;
  const bool vote_req = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (m.term > term_) {
    if (vote_req) {
      // §6 (dissertation 4.2.3): a node that heard from a leader within the minimum election
      // timeout ignores vote requests, so a server that cannot hear the leader cannot depose it.
      const bool force = m.context == kTransferContext;
      // A restarted node may have acknowledged a leader's lease just before it crashed: it
      // keeps quiet for one election timeout, as if it still heard that leader.
      const bool restart_quiet =
          restarted_ && tick_count_ < static_cast<uint64_t>(cfg_.election_ticks);
      const bool in_lease =
          cfg_.check_quorum &&
          ((leader_ != kNoNode && election_elapsed_ < cfg_.election_ticks) || restart_quiet);
      if (!force && in_lease) return Err::kStaleMessage;
    }
    if (m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResp && !m.reject)) {
      // Pre-Vote does not change terms: the future term is only a question.
    } else {
      // Figure 2, All Servers: if RPC request or response contains term T > currentTerm: set
      // currentTerm = T, convert to follower.
      const bool from_leader = m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
                               m.type == MessageType::kSnap;
      BecomeFollower(m.term, from_leader ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat)) {
      // A leader of an older term (perhaps cut off one way) learns it is deposed. Without this a
      // node whose term was bumped could be locked out behind Pre-Vote forever.
      Message r;
      r.type = MessageType::kAppResp;
      r.to = m.from;
      Send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResp;
      r.to = m.from;
      r.reject = true;
      Send(std::move(r));
    }
    // Figure 2: reply false if term < currentTerm (the reply carries our term).
    return Err::kStaleMessage;
  }

  if (vote_req) {
    HandleRequestVote(m);
    return Err::kOk;
  }
  switch (role_) {
    case Role::kLeader:
      return StepLeader(m);
    case Role::kFollower:
      return StepFollower(m);
    case Role::kPreCandidate:
    case Role::kCandidate:
      return StepCandidate(m);
  }
  return Err::kStaleMessage;
}

void Raft::HandleRequestVote(const Message& m) {
  // Figure 2, RequestVote receiver: grant if votedFor is null or candidateId, and the
  // candidate's log is at least as up-to-date as the receiver's (§5.2, §5.4.1).
  const bool pre = m.type == MessageType::kPreVote;
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  Message r;
  r.type = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  r.to = m.from;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    r.term = m.term;  // for Pre-Vote, the term asked about
    if (!pre) {
      vote_ = m.from;  // durable (hard state) before the reply leaves: the ordering rule
      election_elapsed_ = 0;
    }
  } else {
    r.reject = true;
  }
  Send(std::move(r));
}

Err Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleAppendEntries(m);
      return Err::kOk;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleHeartbeat(m);
      return Err::kOk;
    case MessageType::kSnap:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleSnapshotChunk(m);
      return Err::kOk;
    case MessageType::kTimeoutNow:
      // §3.10: the leader asks us to take over; skip Pre-Vote and the lease check.
      if (Promotable()) StartElection(false, true);
      return Err::kOk;
    case MessageType::kReadIndexResp:
      if (!m.reject) read_states_.push_back({m.index, m.context});
      return Err::kOk;
    case MessageType::kTransferLeader:
      if (leader_ == kNoNode) return Err::kStaleMessage;
      {
        Message f = m;
        f.to = leader_;
        f.from = id_;
        f.term = 0;
        Send(std::move(f));
      }
      return Err::kOk;
    default:
      return Err::kStaleMessage;
  }
}

Err Raft::StepCandidate(const Message& m) {
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kHeartbeat:
    case MessageType::kSnap:
      // Figure 2, Candidates: if AppendEntries received from new leader: convert to follower.
      BecomeFollower(m.term, m.from);
      return StepFollower(m);
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp: {
      const bool want_pre = role_ == Role::kPreCandidate;
      if ((m.type == MessageType::kPreVoteResp) != want_pre) return Err::kStaleMessage;
      if (!m.reject && m.term != (want_pre ? term_ + 1 : term_)) return Err::kStaleMessage;
      if (!membership_.IsVoter(m.from)) return Err::kStaleMessage;
      votes_.emplace(m.from, !m.reject);
      int granted = 0, rejected = 0;
      for (auto& [id, g] : votes_) (g ? granted : rejected)++;
      if (granted >= Quorum()) {
        if (want_pre) {
          StartElection(false, false);
        } else {
          // Figure 2, Candidates: votes received from a majority: become leader.
          BecomeLeader();
        }
      } else if (rejected >= Quorum()) {
        BecomeFollower(term_, kNoNode);
      }
      return Err::kOk;
    }
    default:
      return Err::kStaleMessage;
  }
}

Err Raft::StepLeader(const Message& m) {
  auto it = progress_.find(m.from);
  switch (m.type) {
    case MessageType::kAppResp:
      if (it == progress_.end()) return Err::kStaleMessage;
      HandleAppendResponse(m);
      return Err::kOk;
    case MessageType::kHeartbeatResp:
      if (it == progress_.end()) return Err::kStaleMessage;
      HandleHeartbeatResponse(m);
      return Err::kOk;
    case MessageType::kSnapResp:
      if (it == progress_.end()) return Err::kStaleMessage;
      HandleSnapshotResponse(m);
      return Err::kOk;
    case MessageType::kReadIndex:
      HandleReadIndexRequest(m);
      return Err::kOk;
    case MessageType::kTransferLeader:
      return TransferLeadership(m.index);
    default:
      return Err::kStaleMessage;
  }
}

// ---------------------------------------------------------------------------------------------
// Follower side of replication

void Raft::HandleAppendEntries(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  if (m.index < log_.commit()) {
    // Everything up to commit already matches the leader (Log Matching): say so.
    r.index = log_.commit();
    Send(std::move(r));
    return;
  }
  if (!log_.MatchTerm(m.index, m.log_term)) {
    // Figure 2, AppendEntries rule 2: reply false if log doesn't contain an entry at
    // prevLogIndex whose term matches prevLogTerm. §5.3: hint the conflict for fast backup.
    r.reject = true;
    r.index = m.index;
    r.hint_index = log_.ConflictHint(std::min(m.index, log_.LastIndex() + 1), &r.hint_term);
    Send(std::move(r));
    return;
  }
  // Rules 3-4: delete conflicting entries, append new ones.
  uint64_t first = log_.AppendAfterMatch(m.entries);
  if (first != 0 && first < unstable_from_) unstable_from_ = first;
  const uint64_t last_new = m.index + m.entries.size();
  // Rule 5: if leaderCommit > commitIndex, commitIndex = min(leaderCommit, index of last new).
  CommitTo(std::min(m.commit, last_new));
  r.index = last_new;
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const Message& m) {
  // The leader sends commit = min(our match, its commit), so entries up to it are known equal.
  CommitTo(std::min(m.commit, log_.LastIndex()));
  Message r;
  r.type = MessageType::kHeartbeatResp;
  r.to = m.from;
  r.index = m.index;
  r.offset = m.offset;
  Send(std::move(r));
}

void Raft::HandleSnapshotChunk(const Message& m) {
  const SnapshotMeta& meta = m.snapshot;
  if (meta.index <= log_.commit()) {
    // Already have it all (a duplicate or a slow chunk): report what we have.
    incoming_snapshot_data_.clear();
    incoming_snapshot_meta_ = {};
    Message r;
    r.type = MessageType::kAppResp;
    r.to = m.from;
    r.index = log_.commit();
    Send(std::move(r));
    return;
  }
  if (m.offset == 0) {
    incoming_snapshot_meta_ = meta;
    incoming_snapshot_data_.clear();
  }
  Message r;
  r.type = MessageType::kSnapResp;
  r.to = m.from;
  r.index = meta.index;
  if (!(incoming_snapshot_meta_ == meta) || m.offset != incoming_snapshot_data_.size()) {
    // A chunk out of order: ask for the bytes we need (from 0 if this is another snapshot).
    r.reject = true;
    r.offset = incoming_snapshot_meta_ == meta ? incoming_snapshot_data_.size() : 0;
    Send(std::move(r));
    return;
  }
  incoming_snapshot_data_ += m.data;
  if (!m.done) {
    r.offset = incoming_snapshot_data_.size();
    Send(std::move(r));
    return;
  }
  // §7 InstallSnapshot receiver: keep the log suffix if it matches, else discard the log; reset
  // the state machine from the snapshot.
  snapshot_.meta = incoming_snapshot_meta_;
  snapshot_.data = std::move(incoming_snapshot_data_);
  incoming_snapshot_data_.clear();
  incoming_snapshot_meta_ = {};
  log_.RestoreSnapshot(meta.index, meta.term);
  membership_ = meta.membership;
  membership_index_ = meta.index;
  membership_history_.clear();
  membership_history_.push_back({membership_index_, membership_});
  conf_scan_ = meta.index;
  ApplyMembershipUpTo(log_.commit());
  pending_snapshot_ = snapshot_;
  if (applied_ < meta.index) applied_ = meta.index;
  // The stored log is replaced by the snapshot; hand the retained suffix out again.
  unstable_from_ = meta.index + 1;
  Message ack;
  ack.type = MessageType::kAppResp;
  ack.to = m.from;
  ack.index = meta.index;
  Send(std::move(ack));
}

void Raft::CommitTo(uint64_t index) {
  if (index <= log_.commit()) return;
  log_.CommitTo(index);
  ApplyMembershipUpTo(index);
}

void Raft::ApplyMembershipUpTo(uint64_t index) {
  // Membership changes take effect when committed (etcd's rule); with one change at a time the
  // old and new majorities overlap, so this is safe (dissertation §4.1).
  uint64_t from = std::max(conf_scan_, log_.snapshot_index()) + 1;
  if (index > log_.LastIndex()) index = log_.LastIndex();
  for (uint64_t i = from; i <= index; ++i) {
    const Entry& e = log_.At(i);
    if (e.type != EntryType::kConfig) continue;
    bool ok;
    Membership next = ApplyConfEntry(membership_, e, &ok);
    if (!ok) continue;
    membership_index_ = i;
    membership_history_.push_back({i, next});
    SetMembership(next);
    if (role_ != Role::kLeader && role_ != Role::kFollower && !Promotable()) {
      BecomeFollower(term_, kNoNode);
    }
  }
  if (index > conf_scan_) conf_scan_ = index;
}

void Raft::SetMembership(const Membership& m) {
  membership_ = m;
  if (role_ != Role::kLeader) return;
  for (auto it = progress_.begin(); it != progress_.end();) {
    if (!membership_.Contains(it->first)) {
      it = progress_.erase(it);
    } else {
      ++it;
    }
  }
  auto add = [&](NodeId id) {
    if (id == id_ || progress_.count(id)) return;
    Progress pr;
    pr.next = log_.LastIndex() + 1;
    pr.recent_active = true;
    progress_[id] = pr;
    need_broadcast_ = true;
  };
  for (NodeId id : membership_.voters) add(id);
  for (NodeId id : membership_.learners) add(id);
  if (transferee_ != kNoNode && !membership_.IsVoter(transferee_)) AbortTransfer();
  if (!membership_.IsVoter(id_)) {
    // The leader was removed: it stops leading once the change is committed (dissertation §4.2.2).
    BecomeFollower(term_, kNoNode);
    return;
  }
  // Fewer voters can mean a new commit point (and new read quorums).
  if (AdvanceCommitIndex()) need_broadcast_ = true;
}

// ---------------------------------------------------------------------------------------------
// Leader side of replication

void Raft::Send(Message m) {
  m.from = id_;
  if (m.term == 0) m.term = term_;
  msgs_.push_back(std::move(m));
}

bool Raft::AppendEntriesAsLeader(std::vector<Entry> entries) {
  uint64_t index = log_.LastIndex();
  for (Entry& e : entries) {
    e.index = ++index;
    e.term = term_;
    if (e.type == EntryType::kConfig) pending_conf_index_ = e.index;
  }
  log_.Append(std::move(entries));
  AdvanceCommitIndex();  // a single voter commits at once
  need_broadcast_ = true;
  return true;
}

bool Raft::AdvanceCommitIndex() {
  if (role_ != Role::kLeader) return false;
  std::vector<uint64_t>& matches = match_scratch_;  // reused: this runs on every ack
  matches.clear();
  for (NodeId v : membership_.voters) {
    if (v == id_) {
      matches.push_back(SelfMatch());
    } else {
      auto it = progress_.find(v);
      matches.push_back(it == progress_.end() ? 0 : it->second.match);
    }
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<uint64_t>());
  const uint64_t n = matches[static_cast<size_t>(Quorum() - 1)];
  if (n <= log_.commit()) return false;
  // §5.4.2: only entries of the current term are committed by counting replicas; earlier
  // entries are committed indirectly (Figure 8).
  if (log_.TermOr0(n) != term_ && !cfg_.bugs.commit_old_term) return false;
  CommitTo(n);
  if (role_ != Role::kLeader) return true;  // a committed change removed us
  if (!reads_before_commit_.empty() && CommittedEntryInCurrentTerm()) {
    auto waiting = std::move(reads_before_commit_);
    reads_before_commit_.clear();
    for (auto& [ctx, requester] : waiting) StartRead(ctx, requester);
  }
  return true;
}

uint64_t Raft::SelfMatch() const {
  if (!cfg_.leader_counts_durable_only) return log_.LastIndex();
  // Only what is durable here counts (§10.2.1), and only while our log still holds that very
  // entry: by Log Matching the durable prefix is then our log up to it. An entry since replaced
  // or compacted away counts nothing until the next report.
  if (durable_index_ == 0 || durable_index_ > log_.LastIndex() ||
      log_.TermOr0(durable_index_) != durable_term_) {
    return 0;
  }
  return durable_index_;
}

void Raft::Persisted(uint64_t index, uint64_t term) {
  durable_index_ = index;
  durable_term_ = term;
  // Our own copy may be the vote that commits (the followers may have answered first).
  if (cfg_.leader_counts_durable_only && AdvanceCommitIndex()) need_broadcast_ = true;
}

bool Raft::CommittedEntryInCurrentTerm() const { return log_.TermOr0(log_.commit()) == term_; }

void Raft::BroadcastAppend() {
  need_broadcast_ = false;
  if (role_ != Role::kLeader) return;
  for (auto& [id, pr] : progress_) SendAppend(id, false);
}

void Raft::SendAppend(NodeId to, bool allow_empty) {
  auto it = progress_.find(to);
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  for (;;) {
    if (pr.state == Progress::State::kSnapshot) return;
    if (pr.state == Progress::State::kProbe && pr.paused) return;
    if (pr.state == Progress::State::kReplicate && pr.inflight.size() >= cfg_.max_inflight_msgs) {
      return;
    }
    const uint64_t prev = pr.next - 1;
    auto prev_term = log_.Term(prev);
    if (!prev_term) {
      // §7: the entries the follower needs were compacted: send the snapshot instead.
      pr.state = Progress::State::kSnapshot;
      pr.inflight.clear();
      pr.snapshot_index = 0;
      SendSnapshotChunk(to);
      return;
    }
    Message m;
    m.type = MessageType::kApp;
    m.to = to;
    m.index = prev;
    m.log_term = *prev_term;
    if (pr.next <= log_.LastIndex()) {
      m.entries = log_.Slice(pr.next, log_.LastIndex() + 1, cfg_.max_entries_per_msg,
                             cfg_.max_bytes_per_msg);
    }
    if (m.entries.empty() && !allow_empty) return;
    m.commit = log_.commit();
    const uint64_t last = m.entries.empty() ? prev : m.entries.back().index;
    const bool sent_entries = !m.entries.empty();
    Send(std::move(m));
    if (pr.state == Progress::State::kProbe) {
      pr.paused = true;  // one probe at a time until it is answered
      return;
    }
    if (!sent_entries) return;
    pr.next = last + 1;
    pr.inflight.push_back(last);
    allow_empty = false;
    if (pr.next > log_.LastIndex()) return;
  }
}

void Raft::SendSnapshotChunk(NodeId to) {
  Progress& pr = progress_.at(to);
  if (snapshot_.empty()) Unrecoverable();  // the log was compacted without a snapshot
  if (pr.snapshot_index != snapshot_.meta.index) {
    pr.snapshot_index = snapshot_.meta.index;
    pr.snapshot_offset = 0;
  }
  const uint64_t size = snapshot_.data.size();
  const uint64_t off = std::min<uint64_t>(pr.snapshot_offset, size);
  const uint64_t len = std::min<uint64_t>(cfg_.snapshot_chunk_bytes, size - off);
  Message m;
  m.type = MessageType::kSnap;
  m.to = to;
  m.snapshot = snapshot_.meta;
  m.offset = off;
  m.data = snapshot_.data.substr(off, len);
  m.done = off + len == size;
  pr.snapshot_idle = 0;
  Send(std::move(m));
}

void Raft::HandleAppendResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.recent_active = true;
  if (m.reject) {
    // §5.3 with the fast backup of the dissertation: skip a whole conflicting term at once.
    if (pr.state == Progress::State::kReplicate) {
      if (m.index <= pr.match) return;  // stale
    } else if (pr.state == Progress::State::kProbe) {
      if (m.index != pr.next - 1) return;  // stale
    } else {
      return;
    }
    uint64_t next = m.hint_index;
    if (m.hint_term > 0) {
      // If we have entries of hint_term, resume just after our last one; else at the hint.
      uint64_t i = std::min(m.index, log_.LastIndex());
      while (i > log_.snapshot_index() && log_.TermOr0(i) > m.hint_term) --i;
      if (i > log_.snapshot_index() && log_.TermOr0(i) == m.hint_term) next = i + 1;
    }
    next = std::min(next, m.index);
    if (next < pr.match + 1) next = pr.match + 1;
    if (next < 1) next = 1;
    pr.next = next;
    pr.state = Progress::State::kProbe;
    pr.paused = false;
    pr.inflight.clear();
    SendAppend(m.from, true);
    return;
  }
  // Drop acknowledged in-flight messages.
  size_t acked = 0;
  while (acked < pr.inflight.size() && pr.inflight[acked] <= m.index) ++acked;
  pr.inflight.erase(pr.inflight.begin(), pr.inflight.begin() + static_cast<long>(acked));
  if (m.index > pr.match) {
    pr.match = m.index;
    if (pr.next < pr.match + 1) pr.next = pr.match + 1;
    if (pr.state == Progress::State::kProbe ||
        (pr.state == Progress::State::kSnapshot && pr.match >= pr.snapshot_index)) {
      pr.state = Progress::State::kReplicate;
      pr.next = pr.match + 1;
      pr.inflight.clear();
    }
    pr.paused = false;
    if (AdvanceCommitIndex()) {
      if (role_ != Role::kLeader) return;
      // Tell everyone the new commit index promptly.
      for (auto& [id, p] : progress_) SendAppend(id, id != m.from);
    }
    if (m.from == transferee_ && pr.match == log_.LastIndex()) {
      Message t;
      t.type = MessageType::kTimeoutNow;
      t.to = m.from;
      Send(std::move(t));
    }
  } else if (pr.state == Progress::State::kProbe) {
    pr.paused = false;
  }
  if (role_ == Role::kLeader && progress_.count(m.from)) SendAppend(m.from, false);
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.recent_active = true;
  if (m.offset > pr.last_ack_tick) pr.last_ack_tick = m.offset;
  if (pr.state == Progress::State::kProbe) pr.paused = false;
  if (pr.state == Progress::State::kReplicate && pr.inflight.size() >= cfg_.max_inflight_msgs) {
    pr.inflight.erase(pr.inflight.begin());  // something was lost: free a slot
  }
  if (pr.match < log_.LastIndex()) {
    // Entries it lacks: send what was never sent; and, at most once a tick, an AppendEntries
    // even with nothing new, whose answer (a rejection) shows a loss (etcd sends one at every
    // answer: under reads, whose rounds are heartbeats, that was an empty AppendEntries — and
    // its answer — for nearly every round).
    const bool probe = tick_count_ >= pr.empty_probe_from;
    if (probe) pr.empty_probe_from = tick_count_ + 1;
    SendAppend(m.from, probe);
  }

  if (m.index > pr.read_round_acked) {
    pr.read_round_acked = m.index;
    pr.read_ack_order = ++read_ack_count_;
  }
  // ReadIndex: this answer confirms every read registered before round m.index was sent.
  if (pending_reads_.empty()) return;
  size_t released = 0;
  for (size_t i = 0; i < pending_reads_.size(); ++i) {
    PendingRead& r = pending_reads_[i];
    if (r.seq <= m.index && membership_.IsVoter(m.from)) r.acks.insert(m.from);
    if (static_cast<int>(r.acks.size()) >= Quorum()) released = i + 1;
  }
  // Reads are confirmed in order: a later confirmed round confirms the earlier ones.
  for (size_t i = 0; i < released; ++i)
    AddReadState(pending_reads_[i].index, pending_reads_[i].context, pending_reads_[i].requester);
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<long>(released));
}

void Raft::HandleSnapshotResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.recent_active = true;
  if (pr.state != Progress::State::kSnapshot || m.index != snapshot_.meta.index ||
      pr.snapshot_index != m.index) {
    return;
  }
  pr.snapshot_offset = m.offset;
  SendSnapshotChunk(m.from);
}

void Raft::BroadcastHeartbeat() {
  for (auto& [id, pr] : progress_) SendHeartbeat(id, pr);
}

void Raft::SendHeartbeat(NodeId to, Progress& pr) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  m.commit = std::min(pr.match, log_.commit());
  m.index = read_seq_;
  m.offset = tick_count_;
  Send(std::move(m));
}

void Raft::SendReadRound() {
  // Answers from voters complete the quorum; the leader counts itself when it is one.
  const size_t need = static_cast<size_t>(Quorum() - (membership_.IsVoter(id_) ? 1 : 0));
  std::vector<std::pair<NodeId, Progress*>>& voters = round_scratch_;  // reused: every round
  voters.clear();
  for (auto& [id, pr] : progress_) {
    if (membership_.IsVoter(id)) voters.emplace_back(id, &pr);
  }
  if (!cfg_.targeted_read_rounds || need >= voters.size()) {
    BroadcastHeartbeat();
    return;
  }
  // Those that confirmed the latest round first: the ones answering now. One that stopped
  // answering (down, cut off, paused) falls behind at the next round sent to everyone.
  std::partial_sort(voters.begin(), voters.begin() + static_cast<long>(need), voters.end(),
                    [](const auto& a, const auto& b) {
                      if (a.second->read_round_acked != b.second->read_round_acked)
                        return a.second->read_round_acked > b.second->read_round_acked;
                      if (a.second->read_ack_order != b.second->read_ack_order)
                        return a.second->read_ack_order < b.second->read_ack_order;
                      return a.first < b.first;
                    });
  for (size_t i = 0; i < need; ++i) SendHeartbeat(voters[i].first, *voters[i].second);
}

// ---------------------------------------------------------------------------------------------
// Requests

Err Raft::Propose(std::string data, uint64_t* index) {
  if (role_ != Role::kLeader) return Err::kNotLeader;
  if (transferee_ != kNoNode) return Err::kTransferring;
  AppendEntriesAsLeader({Entry{0, 0, EntryType::kNormal, std::move(data)}});
  if (index) *index = log_.LastIndex();
  return Err::kOk;
}

Err Raft::ProposeBatch(std::vector<std::string> data, uint64_t* first_index) {
  if (role_ != Role::kLeader) return Err::kNotLeader;
  if (transferee_ != kNoNode) return Err::kTransferring;
  if (first_index) *first_index = log_.LastIndex() + 1;
  if (data.empty()) return Err::kOk;
  std::vector<Entry> entries;
  entries.reserve(data.size());
  for (std::string& d : data) entries.push_back(Entry{0, 0, EntryType::kNormal, std::move(d)});
  AppendEntriesAsLeader(std::move(entries));
  return Err::kOk;
}

Err Raft::ProposeConfChange(const ConfChange& cc, uint64_t* index) {
  if (role_ != Role::kLeader) return Err::kNotLeader;
  if (transferee_ != kNoNode) return Err::kTransferring;
  // Dissertation §4.1 (and its 2015 fix): one change at a time, and only after this leader has
  // committed an entry of its own term.
  if (pending_conf_index_ > log_.commit()) return Err::kPendingConfChange;
  if (cc.node == kNoNode) return Err::kInvalid;
  switch (cc.type) {
    case ConfChange::Type::kAddVoter:
      if (membership_.IsVoter(cc.node)) return Err::kInvalid;
      break;
    case ConfChange::Type::kAddLearner:
      if (membership_.Contains(cc.node)) return Err::kInvalid;
      break;
    case ConfChange::Type::kRemove:
      if (!membership_.Contains(cc.node)) return Err::kInvalid;
      if (membership_.IsVoter(cc.node) && membership_.voters.size() == 1) return Err::kInvalid;
      break;
  }
  AppendEntriesAsLeader({Entry{0, 0, EntryType::kConfig, EncodeConfChange(cc)}});
  if (index) *index = log_.LastIndex();
  return Err::kOk;
}

Err Raft::ReadIndex(std::string context) {
  if (cfg_.bugs.stale_read) {
    // PLANTED BUG stale_read: answer from local state, whoever we are.
    read_states_.push_back({log_.commit(), std::move(context)});
    return Err::kOk;
  }
  if (role_ == Role::kLeader) {
    HandleReadRequest(std::move(context), id_);
    return Err::kOk;
  }
  if (leader_ == kNoNode) return Err::kNotLeader;
  Message m;
  m.type = MessageType::kReadIndex;
  m.to = leader_;
  m.context = std::move(context);
  Send(std::move(m));
  return Err::kOk;
}

void Raft::HandleReadIndexRequest(const Message& m) { HandleReadRequest(m.context, m.from); }

void Raft::HandleReadRequest(std::string context, NodeId requester) {
  // §6.4 step 1: the leader must have committed an entry of its term to know the commit index.
  if (!CommittedEntryInCurrentTerm()) {
    reads_before_commit_.emplace_back(std::move(context), requester);
    return;
  }
  StartRead(std::move(context), requester);
}

void Raft::StartRead(std::string context, NodeId requester) {
  const bool lease = cfg_.lease_reads || cfg_.bugs.lease_read;
  if (Quorum() <= 1 && membership_.IsVoter(id_)) {
    AddReadState(log_.commit(), context, requester);
    return;
  }
  // A transfer lets the target win an election that ignores leases (TimeoutNow): no lease reads
  // while one is in progress or may still complete.
  const bool transfer_quiet =
      transferee_ == kNoNode &&
      (transfer_started_tick_ == 0 ||
       tick_count_ > transfer_started_tick_ + 2 * static_cast<uint64_t>(cfg_.election_ticks));
  if (lease && transfer_quiet && tick_count_ < LeaseExpiry()) {
    // §6.4.1 lease: no other leader can exist before the lease ends (if clocks agree).
    AddReadState(log_.commit(), context, requester);
    return;
  }
  // §6.4 steps 2-3: record the commit index, confirm leadership with a heartbeat round.
  PendingRead r{std::move(context), requester, log_.commit(), ++read_seq_, tick_count_, {}};
  if (membership_.IsVoter(id_)) r.acks.insert(id_);
  pending_reads_.push_back(std::move(r));
  SendReadRound();
}

uint64_t Raft::LeaseExpiry() const {
  // The quorum-th most recent tick at which a voter was known to hear us.
  std::vector<uint64_t> ticks;
  for (NodeId v : membership_.voters) {
    if (v == id_) {
      ticks.push_back(tick_count_);
    } else {
      auto it = progress_.find(v);
      ticks.push_back(it == progress_.end() ? 0 : it->second.last_ack_tick);
    }
  }
  std::sort(ticks.begin(), ticks.end(), std::greater<uint64_t>());
  const uint64_t t = ticks[static_cast<size_t>(Quorum() - 1)];
  if (t == 0) return 0;
  if (cfg_.bugs.lease_read) {
    // PLANTED BUG lease_read: the lease outlives the election timeout by far.
    return t + 4 * static_cast<uint64_t>(cfg_.election_ticks);
  }
  // Followers that heard us at tick >= t neither time out nor grant votes before
  // t + election_ticks (CheckQuorum's lease); keep one tick of margin.
  if (!cfg_.check_quorum) return 0;
  return t + static_cast<uint64_t>(cfg_.election_ticks) - 1;
}

void Raft::AddReadState(uint64_t index, const std::string& context, NodeId requester) {
  if (requester == id_) {
    read_states_.push_back({index, context});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResp;
  m.to = requester;
  m.index = index;
  m.context = context;
  Send(std::move(m));
}

Err Raft::TransferLeadership(NodeId to) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return Err::kNotLeader;
    Message m;
    m.type = MessageType::kTransferLeader;
    m.to = leader_;
    m.index = to;
    Send(std::move(m));
    return Err::kOk;
  }
  if (to == id_) return Err::kOk;
  if (!membership_.IsVoter(to)) return Err::kInvalid;
  if (transferee_ == to) return Err::kOk;
  // §3.10: stop accepting proposals, bring the target up to date, then TimeoutNow.
  transferee_ = to;
  transfer_elapsed_ = 0;
  transfer_started_tick_ = tick_count_ == 0 ? 1 : tick_count_;
  Progress& pr = progress_.at(to);
  if (pr.match == log_.LastIndex()) {
    Message t;
    t.type = MessageType::kTimeoutNow;
    t.to = to;
    Send(std::move(t));
  } else {
    SendAppend(to, true);
  }
  return Err::kOk;
}

void Raft::AbortTransfer() {
  transferee_ = kNoNode;
  transfer_elapsed_ = 0;
}

Err Raft::CreateSnapshot(uint64_t index, std::string data) {
  if (index <= log_.snapshot_index()) return Err::kCompacted;
  if (index > applied_ || index > log_.LastIndex()) return Err::kUnavailable;
  SnapshotMeta meta;
  meta.index = index;
  meta.term = *log_.Term(index);
  // The configuration in force at `index`: the last change at or below it.
  for (auto it = membership_history_.rbegin(); it != membership_history_.rend(); ++it) {
    if (it->first <= index) {
      meta.membership = it->second;
      break;
    }
  }
  // Planted bug snapshot-drops-config: the snapshot does not carry the configuration; it records
  // the one the node was started with, and whoever restores it goes back to that.
  if (cfg_.bugs.snapshot_drops_config) meta.membership = cfg_.initial_membership;
  // Keep the history entry that covers `index` and everything after it.
  while (membership_history_.size() > 1 && membership_history_[1].first <= index) {
    membership_history_.erase(membership_history_.begin());
  }
  log_.CompactTo(index);
  snapshot_.meta = std::move(meta);
  snapshot_.data = std::move(data);
  return Err::kOk;
}

// ---------------------------------------------------------------------------------------------
// Output

bool Raft::HasReady() const {
  return need_broadcast_ || !msgs_.empty() || !read_states_.empty() || pending_snapshot_ ||
         unstable_from_ <= log_.LastIndex() || applied_ < log_.commit() ||
         !(SoftState{leader_, role_} == prev_soft_state_) ||
         !(HardState{term_, vote_, log_.commit()} == prev_hard_state_);
}

Ready Raft::GetReady() {
  if (need_broadcast_) BroadcastAppend();
  Ready rd;
  SoftState ss{leader_, role_};
  if (!(ss == prev_soft_state_)) {
    rd.soft_state = ss;
    prev_soft_state_ = ss;
  }
  HardState hs{term_, vote_, log_.commit()};
  if (!(hs == prev_hard_state_)) {
    rd.hard_state = hs;
    prev_hard_state_ = hs;
  }
  if (pending_snapshot_) {
    rd.snapshot = std::move(*pending_snapshot_);
    pending_snapshot_.reset();
  }
  if (unstable_from_ <= log_.LastIndex()) {
    rd.entries = log_.Slice(std::max(unstable_from_, log_.FirstIndex()), log_.LastIndex() + 1);
  }
  unstable_from_ = log_.LastIndex() + 1;
  if (applied_ < log_.commit()) {
    rd.committed_entries = log_.Slice(applied_ + 1, log_.commit() + 1);
    applied_ = log_.commit();
  }
  rd.messages = std::move(msgs_);
  msgs_.clear();
  rd.read_states = std::move(read_states_);
  read_states_.clear();
  return rd;
}

void Raft::Advance() {
  // Everything is marked as handed out in GetReady; kept for etcd's shape (and an asynchronous
  // storage mode later).
}

BasicStatus Raft::Status() const {
  BasicStatus s;
  s.id = id_;
  s.role = role_;
  s.leader = leader_;
  s.term = term_;
  s.vote = vote_;
  s.commit = log_.commit();
  s.applied = applied_;
  s.first_index = log_.FirstIndex();
  s.last_index = log_.LastIndex();
  s.snapshot_index = log_.snapshot_index();
  s.membership = membership_;
  s.transferee = transferee_;
  return s;
}

bool Raft::CaughtUp(NodeId id) const {
  if (role_ != Role::kLeader) return false;
  if (id == id_) return true;
  const Progress* pr = ProgressOf(id);
  return pr != nullptr && pr->match >= log_.commit();
}

const Progress* Raft::ProgressOf(NodeId id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

}  // namespace splitbrain::raft

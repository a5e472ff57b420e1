#include "raft/sim/invariants.h"

#include <iterator>
#include <string>

#include "raft/conf_entry.h"

namespace splitbrain::raft::sim {

namespace {
std::string N(uint64_t v) { return std::to_string(v); }
void Grow(std::vector<uint64_t>& v, uint64_t index) {
  if (v.size() <= index) v.resize(index + 1, 0);
}
}  // namespace

uint64_t Fnv1a64(std::string_view data, uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void Invariants::Fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void Invariants::OnBecameLeader(const Raft& r) {
  ++leaders_elected_;
  auto [it, inserted] = leader_of_term_.emplace(r.term(), r.id());
  if (!inserted && it->second != r.id()) {
    Fail("Election Safety: n" + N(it->second) + " and n" + N(r.id()) + " both leader in term " +
         N(r.term()));
    return;
  }
  // Leader Completeness (§5.4): every committed entry is in the new leader's log.
  const RaftLog& log = r.log();
  for (uint64_t i = log.snapshot_index() + 1; i < committed_term_.size(); ++i) {
    if (committed_term_[i] == 0 || committed_in_term_[i] >= r.term()) continue;
    auto t = log.Term(i);
    if (!t || *t != committed_term_[i] || Fnv1a64(log.At(i).data) != committed_hash_[i]) {
      Fail("Leader Completeness: leader n" + N(r.id()) + " of term " + N(r.term()) +
           " lacks committed entry " + N(i) + " (term " + N(committed_term_[i]) + "), has term " +
           (t ? N(*t) : std::string("none")));
      return;
    }
  }
}

void Invariants::OnHardState(NodeId node, const HardState& hs) {
  if (hs.vote == kNoNode) return;
  auto [it, inserted] = vote_of_.emplace(std::make_pair(node, hs.term), hs.vote);
  if (!inserted && it->second != hs.vote) {
    Fail("Election Safety: n" + N(node) + " voted for n" + N(it->second) + " and n" + N(hs.vote) +
         " in term " + N(hs.term));
  }
}

void Invariants::OnPersistEntries(NodeId node, uint64_t prev_term,
                                  const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    Written w{Fnv1a64(e.data) ^ static_cast<uint64_t>(e.type), prev_term};
    auto [it, inserted] = written_.emplace(std::make_pair(e.index, e.term), w);
    if (!inserted && (it->second.data_hash != w.data_hash || it->second.prev_term != prev_term)) {
      Fail("Log Matching: n" + N(node) + " has a different entry at index " + N(e.index) +
           " term " + N(e.term) + " (or a different predecessor term: " + N(it->second.prev_term) +
           " vs " + N(prev_term) + ")");
      return;
    }
    prev_term = e.term;
  }
}

void Invariants::OnCommit(const Raft& r) {
  const uint64_t commit = r.log().commit();
  uint64_t& prev = commit_of_[r.id()];
  if (commit < prev) {
    Fail("commit went backwards on n" + N(r.id()) + ": " + N(prev) + " -> " + N(commit));
    return;
  }
  if (commit == prev) return;
  const RaftLog& log = r.log();
  Grow(committed_term_, commit);
  Grow(committed_hash_, commit);
  Grow(committed_in_term_, commit);
  for (uint64_t i = std::max(prev, log.snapshot_index()) + 1; i <= commit; ++i) {
    const Entry& e = log.At(i);
    uint64_t h = Fnv1a64(e.data);
    if (committed_term_[i] == 0 || r.term() < committed_in_term_[i])
      committed_in_term_[i] = r.term();
    if (committed_term_[i] == 0) {
      committed_term_[i] = e.term;
      committed_hash_[i] = h;
    } else if (committed_term_[i] != e.term || committed_hash_[i] != h) {
      Fail("State Machine Safety: n" + N(r.id()) + " committed term " + N(e.term) + " at index " +
           N(i) + " where term " + N(committed_term_[i]) + " was committed");
      return;
    }
  }
  prev = commit;
  if (commit > max_commit_) max_commit_ = commit;
}

void Invariants::OnApply(NodeId node, const Entry& e, uint64_t state_hash) {
  Grow(applied_term_, e.index);
  Grow(applied_state_, e.index);
  if (applied_term_[e.index] == 0) {
    applied_term_[e.index] = e.term;
    applied_state_[e.index] = state_hash;
  } else if (applied_term_[e.index] != e.term || applied_state_[e.index] != state_hash) {
    Fail("State Machine Safety: n" + N(node) + " applied a different entry at index " + N(e.index) +
         " (term " + N(e.term) + " vs " + N(applied_term_[e.index]) + ")");
  }
}

void Invariants::OnRestore(NodeId node, uint64_t index, uint64_t state_hash) {
  Grow(applied_state_, index);
  Grow(applied_term_, index);
  if (applied_term_[index] == 0) return;  // nobody applied it entry by entry (yet)
  if (applied_state_[index] != state_hash) {
    Fail("State Machine Safety: n" + N(node) + " restored a snapshot at " + N(index) +
         " whose state differs from what others applied there");
  }
}

void Invariants::OnInstalledImage(NodeId node, uint64_t index, uint64_t image_hash,
                                  uint64_t installed_hash) {
  if (image_hash == installed_hash) return;
  Fail("State Machine Safety: n" + N(node) + " installed the leader's snapshot at " + N(index) +
       " but its state machine is not the snapshot's state (it kept its own)");
}

void Invariants::OnApplyConfig(const Entry& e) {
  if (config_at_.count(e.index)) return;  // State Machine Safety covers a different entry there
  auto before = config_at_.lower_bound(e.index);
  const Membership cur = before == config_at_.begin() ? Membership() : std::prev(before)->second;
  bool ok = false;
  Membership next = ApplyConfEntry(cur, e, &ok);
  if (ok) config_at_[e.index] = std::move(next);
}

void Invariants::OnSnapshot(NodeId node, const SnapshotMeta& meta) {
  auto after = config_at_.upper_bound(meta.index);
  if (after == config_at_.begin()) return;
  const Membership& want = std::prev(after)->second;
  if (meta.membership.voters != want.voters || meta.membership.learners != want.learners) {
    Fail("snapshot-membership-mismatch: n" + N(node) + "'s snapshot at " + N(meta.index) +
         " holds " + N(meta.membership.voters.size()) + " voters and " +
         N(meta.membership.learners.size()) + " learners; the configuration in force there (entry " +
         N(std::prev(after)->first) + ") has " + N(want.voters.size()) + " and " +
         N(want.learners.size()));
  }
}

void Invariants::OnWiped(NodeId node) {
  commit_of_.erase(node);
  for (auto it = vote_of_.begin(); it != vote_of_.end();) {
    it = it->first.first == node ? vote_of_.erase(it) : std::next(it);
  }
}

void Invariants::OnRead(NodeId node, uint64_t read_index, uint64_t required,
                        const std::string& ctx) {
  ++reads_checked_;
  if (read_index < required) {
    Fail("Linearizable read: n" + N(node) + " served read " + ctx + " at index " + N(read_index) +
         " but index " + N(required) + " was committed before it was asked");
  }
}

}  // namespace splitbrain::raft::sim

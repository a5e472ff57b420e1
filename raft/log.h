// RaftLog: the in-memory Raft log of one node, from the last snapshot point to the last entry,
// plus the commit index. Owned by Raft; the durable copy is the application's (see raft.h).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "raft/types.h"

namespace splitbrain::raft {

class RaftLog {
 public:
  RaftLog() = default;

  // Index and term of the last entry covered by the snapshot (0, 0 when none).
  uint64_t snapshot_index() const { return snap_index_; }
  uint64_t snapshot_term() const { return snap_term_; }
  uint64_t FirstIndex() const { return snap_index_ + 1; }
  uint64_t LastIndex() const { return snap_index_ + entries_.size(); }
  uint64_t LastTerm() const { return entries_.empty() ? snap_term_ : entries_.back().term; }
  uint64_t commit() const { return commit_; }

  // Term of the entry at `index`; nullopt when compacted away (< snapshot index) or past the end.
  // The snapshot's own index answers with the snapshot term.
  std::optional<uint64_t> Term(uint64_t index) const;
  // Term or 0 when unknown (for hints and messages).
  uint64_t TermOr0(uint64_t index) const { return Term(index).value_or(0); }
  bool MatchTerm(uint64_t index, uint64_t term) const;
  // §5.4.1: a candidate's log (last_index, last_term) is at least as up-to-date as ours.
  bool IsUpToDate(uint64_t last_index, uint64_t last_term) const;

  const Entry& At(uint64_t index) const;  // index in [FirstIndex, LastIndex]
  // Entries [lo, hi), at most max_count and about max_bytes (always >= 1 entry when lo < hi).
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi, uint64_t max_count = UINT64_MAX,
                           uint64_t max_bytes = UINT64_MAX) const;

  // Figure 2, AppendEntries rules 3-4: entries after prev (which the caller matched). Deletes a
  // conflicting suffix and appends what is new. Returns the first index that was (re)written, or
  // 0 when nothing changed. Never truncates at or below commit (aborts: a broken invariant).
  uint64_t AppendAfterMatch(const std::vector<Entry>& entries);
  // Appends at the end (leader). entries.front().index must be LastIndex()+1.
  void Append(std::vector<Entry> entries);

  // Commit index only moves forward.
  void CommitTo(uint64_t index);
  // The log up to `index` is in a snapshot: drop those entries (index <= LastIndex, <= commit).
  void CompactTo(uint64_t index);
  // Replaces everything with a snapshot point (follower installing a snapshot). Keeps the suffix
  // after `index` when our entry at `index` has `term` (§7: "retain log entries following it").
  void RestoreSnapshot(uint64_t index, uint64_t term);
  // Restart: the durable state.
  void Reset(uint64_t snap_index, uint64_t snap_term, std::vector<Entry> entries, uint64_t commit);

  // Fast backup (§5.3, dissertation): for a follower rejecting prev (index, term), the first index
  // of the term its entry at `index` has, or LastIndex()+1 when it is too short.
  uint64_t ConflictHint(uint64_t index, uint64_t* hint_term) const;

 private:
  uint64_t snap_index_ = 0;
  uint64_t snap_term_ = 0;
  uint64_t commit_ = 0;
  std::vector<Entry> entries_;  // entries_[i].index == snap_index_ + 1 + i
};

}  // namespace splitbrain::raft

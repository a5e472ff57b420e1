#include "raft/log.h"

#include <algorithm>
#include <cstdlib>

namespace splitbrain::raft {

namespace {
[[noreturn]] void Fatal() { std::abort(); }
}  // namespace

std::optional<uint64_t> RaftLog::Term(uint64_t index) const {
  if (index == snap_index_) return snap_term_;
  if (index < snap_index_ || index > LastIndex()) return std::nullopt;
  return entries_[index - snap_index_ - 1].term;
}

bool RaftLog::MatchTerm(uint64_t index, uint64_t term) const {
  auto t = Term(index);
  return t && *t == term;
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t last_term) const {
  return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
}

const Entry& RaftLog::At(uint64_t index) const {
  if (index <= snap_index_ || index > LastIndex()) Fatal();
  return entries_[index - snap_index_ - 1];
}

std::vector<Entry> RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_count,
                                  uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (lo <= snap_index_) Fatal();
  if (hi > LastIndex() + 1) hi = LastIndex() + 1;
  if (hi > lo) out.reserve(static_cast<size_t>(std::min(hi - lo, max_count)));
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi && out.size() < max_count; ++i) {
    const Entry& e = entries_[i - snap_index_ - 1];
    bytes += e.data.size() + 24;
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

uint64_t RaftLog::AppendAfterMatch(const std::vector<Entry>& entries) {
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    if (e.index <= snap_index_) continue;  // already covered by our snapshot
    if (e.index <= LastIndex()) {
      if (entries_[e.index - snap_index_ - 1].term == e.term) continue;
      // Figure 2 AppendEntries rule 3: conflict -> delete it and all that follow.
      if (e.index <= commit_) Fatal();  // a committed entry can never conflict
      entries_.resize(e.index - snap_index_ - 1);
    }
    if (e.index != LastIndex() + 1) Fatal();
    for (size_t j = k; j < entries.size(); ++j) entries_.push_back(entries[j]);
    return e.index;
  }
  return 0;
}

void RaftLog::Append(std::vector<Entry> entries) {
  for (Entry& e : entries) {
    if (e.index != LastIndex() + 1) Fatal();
    entries_.push_back(std::move(e));
  }
}

void RaftLog::CommitTo(uint64_t index) {
  if (index <= commit_) return;
  if (index > LastIndex()) Fatal();
  commit_ = index;
}

void RaftLog::CompactTo(uint64_t index) {
  if (index <= snap_index_) return;
  if (index > LastIndex()) Fatal();
  uint64_t term = *Term(index);
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(index - snap_index_));
  snap_index_ = index;
  snap_term_ = term;
}

void RaftLog::RestoreSnapshot(uint64_t index, uint64_t term) {
  if (MatchTerm(index, term) && index > snap_index_) {
    CompactTo(index);
  } else {
    entries_.clear();
    snap_index_ = index;
    snap_term_ = term;
  }
  if (commit_ < index) commit_ = index;
}

void RaftLog::Reset(uint64_t snap_index, uint64_t snap_term, std::vector<Entry> entries,
                    uint64_t commit) {
  snap_index_ = snap_index;
  snap_term_ = snap_term;
  entries_.clear();
  for (Entry& e : entries) {
    if (e.index <= snap_index_) continue;
    if (e.index != LastIndex() + 1) Fatal();
    entries_.push_back(std::move(e));
  }
  commit_ = commit < snap_index ? snap_index : commit;
  if (commit_ > LastIndex()) commit_ = LastIndex();
}

uint64_t RaftLog::ConflictHint(uint64_t index, uint64_t* hint_term) const {
  if (index > LastIndex()) {
    *hint_term = 0;
    return LastIndex() + 1;
  }
  auto t = Term(index);
  if (!t) {  // below our snapshot: everything up to it matches
    *hint_term = 0;
    return snap_index_ + 1;
  }
  *hint_term = *t;
  uint64_t i = index;
  while (i > snap_index_ + 1 && entries_[i - 1 - snap_index_ - 1].term == *t) --i;
  return i;
}

}  // namespace splitbrain::raft

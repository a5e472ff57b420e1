#include "raft/log.h"

#include <gtest/gtest.h>

namespace splitbrain::raft {
namespace {

std::vector<Entry> Terms(uint64_t first, std::vector<uint64_t> terms) {
  std::vector<Entry> out;
  for (uint64_t t : terms) out.push_back(Entry{first++, t, EntryType::kNormal, "d"});
  return out;
}

TEST(RaftLog, EmptyLog) {
  RaftLog log;
  EXPECT_EQ(log.FirstIndex(), 1u);
  EXPECT_EQ(log.LastIndex(), 0u);
  EXPECT_EQ(log.LastTerm(), 0u);
  EXPECT_EQ(log.Term(0), 0u);
  EXPECT_FALSE(log.Term(1));
}

TEST(RaftLog, UpToDateComparesLastTermThenLength) {
  // §5.4.1.
  RaftLog log;
  log.Append(Terms(1, {1, 2, 2}));
  EXPECT_TRUE(log.IsUpToDate(1, 3));
  EXPECT_TRUE(log.IsUpToDate(3, 2));
  EXPECT_FALSE(log.IsUpToDate(2, 2));
  EXPECT_FALSE(log.IsUpToDate(10, 1));
}

TEST(RaftLog, AppendAfterMatchTruncatesOnlyConflicts) {
  RaftLog log;
  log.Append(Terms(1, {1, 1, 2, 2}));
  EXPECT_EQ(log.AppendAfterMatch(Terms(2, {1, 2})), 0u);  // all present
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.AppendAfterMatch(Terms(3, {3})), 3u);  // conflict at 3: cut 3-4
  EXPECT_EQ(log.LastIndex(), 3u);
  EXPECT_EQ(log.LastTerm(), 3u);
  EXPECT_EQ(log.AppendAfterMatch(Terms(3, {3, 3, 3})), 4u);
  EXPECT_EQ(log.LastIndex(), 5u);
}

TEST(RaftLog, CompactionKeepsTermOfSnapshotPoint) {
  RaftLog log;
  log.Append(Terms(1, {1, 1, 2, 2, 3}));
  log.CommitTo(4);
  log.CompactTo(3);
  EXPECT_EQ(log.FirstIndex(), 4u);
  EXPECT_EQ(log.snapshot_term(), 2u);
  EXPECT_EQ(log.Term(3), 2u);
  EXPECT_FALSE(log.Term(2));
  EXPECT_EQ(log.At(5).term, 3u);
  auto s = log.Slice(4, 6);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].index, 4u);
}

TEST(RaftLog, SliceHonoursCountAndBytesButReturnsAtLeastOne) {
  RaftLog log;
  log.Append(Terms(1, {1, 1, 1, 1}));
  EXPECT_EQ(log.Slice(1, 5, 2).size(), 2u);
  EXPECT_EQ(log.Slice(1, 5, 10, 1).size(), 1u);
}

TEST(RaftLog, RestoreSnapshotKeepsMatchingSuffixElseDiscards) {
  // §7: if an existing entry has the snapshot's index and term, retain the entries after it.
  RaftLog log;
  log.Append(Terms(1, {1, 1, 2, 2}));
  log.RestoreSnapshot(2, 1);
  EXPECT_EQ(log.FirstIndex(), 3u);
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.commit(), 2u);
  RaftLog other;
  other.Append(Terms(1, {1, 1, 2, 2}));
  other.RestoreSnapshot(3, 5);
  EXPECT_EQ(other.LastIndex(), 3u);
  EXPECT_EQ(other.LastTerm(), 5u);
}

TEST(RaftLog, ConflictHintPointsAtFirstIndexOfTerm) {
  RaftLog log;
  log.Append(Terms(1, {1, 2, 2, 2, 4}));
  uint64_t term;
  EXPECT_EQ(log.ConflictHint(4, &term), 2u);
  EXPECT_EQ(term, 2u);
  EXPECT_EQ(log.ConflictHint(9, &term), 6u);
  EXPECT_EQ(term, 0u);
}

TEST(RaftLogDeathTest, TruncatingACommittedEntryAborts) {
  // A broken invariant inside the core aborts loudly (STYLE.md).
  RaftLog log;
  log.Append(Terms(1, {1, 1}));
  log.CommitTo(2);
  EXPECT_DEATH(log.AppendAfterMatch(Terms(2, {5})), "");
}

}  // namespace
}  // namespace splitbrain::raft

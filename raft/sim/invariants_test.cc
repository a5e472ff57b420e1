// The invariant checker must be able to fail: each check is fed a violation by hand.
#include "raft/sim/invariants.h"

#include <gtest/gtest.h>

#include "raft/codec.h"

namespace splitbrain::raft::sim {
namespace {

Config LeaderConfig(NodeId id, std::vector<uint64_t> terms, uint64_t term, uint64_t commit) {
  Config c;
  c.id = id;
  Membership m;
  m.voters = {1, 2, 3};
  c.restore.hard_state = {term, kNoNode, commit};
  for (size_t i = 0; i < terms.size(); ++i) {
    Entry e{i + 1, terms[i], EntryType::kNormal, "d" + std::to_string(terms[i])};
    if (i == 0) {
      e.type = EntryType::kConfig;
      e.data = EncodeMembership(m);
    }
    c.restore.entries.push_back(e);
  }
  return c;
}

TEST(Invariants, TwoLeadersInOneTermIsCaught) {
  Invariants inv;
  Raft a(LeaderConfig(1, {1}, 1, 1)), b(LeaderConfig(2, {1}, 1, 1));
  inv.OnBecameLeader(a);
  EXPECT_TRUE(inv.ok());
  inv.OnBecameLeader(b);
  EXPECT_NE(inv.violation().find("Election Safety"), std::string::npos) << inv.violation();
}

TEST(Invariants, TwoVotesInOneTermIsCaught) {
  Invariants inv;
  inv.OnHardState(1, {3, 2, 0});
  inv.OnHardState(1, {3, 2, 0});
  EXPECT_TRUE(inv.ok());
  inv.OnHardState(1, {3, 3, 0});
  EXPECT_FALSE(inv.ok());
}

TEST(Invariants, LogMatchingViolationIsCaught) {
  Invariants inv;
  inv.OnPersistEntries(1, 1, {Entry{2, 2, EntryType::kNormal, "x"}});
  inv.OnPersistEntries(2, 1, {Entry{2, 2, EntryType::kNormal, "x"}});
  EXPECT_TRUE(inv.ok());
  inv.OnPersistEntries(3, 1, {Entry{2, 2, EntryType::kNormal, "y"}});
  EXPECT_NE(inv.violation().find("Log Matching"), std::string::npos);
  Invariants prev;
  prev.OnPersistEntries(1, 1, {Entry{3, 2, EntryType::kNormal, "x"}});
  prev.OnPersistEntries(2, 2, {Entry{3, 2, EntryType::kNormal, "x"}});
  EXPECT_FALSE(prev.ok());
}

TEST(Invariants, LeaderMissingCommittedEntryIsCaught) {
  Invariants inv;
  Raft a(LeaderConfig(1, {1, 2, 2}, 2, 3));
  inv.OnCommit(a);
  EXPECT_TRUE(inv.ok());
  Raft b(LeaderConfig(2, {1, 3}, 3, 1));
  inv.OnBecameLeader(b);
  EXPECT_NE(inv.violation().find("Leader Completeness"), std::string::npos) << inv.violation();
}

TEST(Invariants, ConflictingCommitIsCaught) {
  Invariants inv;
  Raft a(LeaderConfig(1, {1, 2}, 2, 2)), b(LeaderConfig(2, {1, 3}, 3, 2));
  inv.OnCommit(a);
  inv.OnCommit(b);
  EXPECT_NE(inv.violation().find("State Machine Safety"), std::string::npos);
}

TEST(Invariants, CommitGoingBackwardsIsCaught) {
  Invariants inv;
  Raft a(LeaderConfig(1, {1, 2, 2}, 2, 3)), a_again(LeaderConfig(1, {1, 2, 2}, 2, 2));
  inv.OnCommit(a);
  inv.OnCommit(a_again);
  EXPECT_NE(inv.violation().find("backwards"), std::string::npos);
}

TEST(Invariants, DifferentAppliedEntriesAreCaught) {
  Invariants inv;
  inv.OnApply(1, Entry{5, 2, EntryType::kNormal, "x"}, 111);
  inv.OnApply(2, Entry{5, 2, EntryType::kNormal, "x"}, 111);
  EXPECT_TRUE(inv.ok());
  inv.OnApply(3, Entry{5, 2, EntryType::kNormal, "x"}, 112);
  EXPECT_FALSE(inv.ok());
  Invariants snap;
  snap.OnApply(1, Entry{5, 2, EntryType::kNormal, "x"}, 111);
  snap.OnRestore(2, 5, 999);
  EXPECT_FALSE(snap.ok());
}

// The application's state after installing the leader's snapshot must be the snapshot's
// (splitbrain-node's planted bug install-keeps-state keeps its own).
TEST(Invariants, InstalledSnapshotNotBecomingTheStateIsCaught) {
  Invariants inv;
  inv.OnInstalledImage(2, 40, 777, 777);
  EXPECT_TRUE(inv.ok());
  inv.OnInstalledImage(3, 40, 777, 778);
  EXPECT_NE(inv.violation().find("n3 installed the leader's snapshot at 40"), std::string::npos)
      << inv.violation();
}

TEST(Invariants, StaleReadIsCaught) {
  Invariants inv;
  inv.OnRead(1, 10, 10, "r1");
  EXPECT_TRUE(inv.ok());
  inv.OnRead(1, 9, 10, "r2");
  EXPECT_NE(inv.violation().find("Linearizable read"), std::string::npos);
}

}  // namespace
}  // namespace splitbrain::raft::sim

namespace splitbrain::raft::sim {
namespace {

TEST(Invariants, LateLeaderOfAnOlderTermNeedNotHoldLaterCommits) {
  // Regression (seed 868 of FiveVotersLossyNetwork): a candidate of term 5 won on delayed votes
  // after term 6 had committed an entry. §5.4.3 only binds leaders of higher terms.
  Invariants inv;
  Raft a(LeaderConfig(1, {1, 6}, 6, 2));
  inv.OnCommit(a);
  Raft late(LeaderConfig(2, {1, 5}, 5, 1));
  inv.OnBecameLeader(late);
  EXPECT_TRUE(inv.ok()) << inv.violation();
  Raft later(LeaderConfig(3, {1, 5}, 7, 1));
  inv.OnBecameLeader(later);
  EXPECT_FALSE(inv.ok());
}

}  // namespace
}  // namespace splitbrain::raft::sim

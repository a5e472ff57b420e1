// Part of harness_sim_test: the simulated disk's byte-level faults are decided by the node's own
// storage code — a flipped bit is always caught by its checksums (refused, or cut as a torn tail)
// and a torn power loss keeps what was fsynced and a prefix of the rest, never a hole.
#include "harness/sim/sim_disk.h"

#include <gtest/gtest.h>

namespace splitbrain::harness::sim {
namespace {

raft::DurableState State(uint64_t snapshot_index, uint64_t last) {
  raft::DurableState s;
  s.hard_state = {3, 2, last};
  if (snapshot_index > 0) {
    s.snapshot.meta.index = snapshot_index;
    s.snapshot.meta.term = 2;
    s.snapshot.meta.membership.voters = {1, 2, 3};
    s.snapshot.data = std::string(300, 's');
  }
  for (uint64_t i = snapshot_index + 1; i <= last; ++i) {
    s.entries.push_back({i, i < 20 ? 2u : 3u, raft::EntryType::kNormal,
                         "{\"op\":\"write\",\"value\":" + std::to_string(i) + "}"});
  }
  return s;
}

bool PrefixOf(const raft::DurableState& a, const raft::DurableState& b) {
  if (a.entries.size() > b.entries.size()) return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (!(a.entries[i] == b.entries[i])) return false;
  }
  return true;
}

TEST(SimDiskTest, EveryFlippedBitIsCaughtByTheNodesChecksums) {
  const raft::DurableState st = State(10, 40);
  int refused = 0, cut = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    auto r = FlipSyncedBit(st, "*", seed);
    ASSERT_TRUE(r.ok()) << r.status();
    SCOPED_TRACE(r->detail.dump());
    ASSERT_TRUE(r->detail["file"].is_string());
    if (r->refused) {
      ++refused;
      EXPECT_NE(r->detail["refused"].get<std::string>().find("refusing to start"),
                std::string::npos);
    } else {
      // Not refused: the damaged record was the last one, cut; nothing else changed.
      ASSERT_TRUE(r->detail.contains("repaired"));
      ++cut;
      EXPECT_TRUE(PrefixOf(r->state, st));
      EXPECT_EQ(r->state.hard_state.term, st.hard_state.term);
      EXPECT_EQ(r->state.hard_state.vote, st.hard_state.vote);
    }
  }
  EXPECT_GT(refused, 0);
  // Only the WAL when asked: the snapshot file is never chosen.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto r = FlipSyncedBit(st, "wal", seed);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->detail["file"].get<std::string>().rfind("wal/", 0), 0u) << r->detail.dump();
  }
}

TEST(SimDiskTest, TornPowerLossKeepsTheSyncedStateAndAPrefixOfTheRest) {
  const raft::DurableState synced = State(10, 20), durable = State(10, 60);
  int torn = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto r = TearUnsynced(synced, durable, seed);
    ASSERT_TRUE(r.ok()) << r.status();
    SCOPED_TRACE(r->detail.dump());
    ASSERT_FALSE(r->refused);
    EXPECT_TRUE(PrefixOf(r->state, durable));
    EXPECT_GE(r->state.entries.size(), synced.entries.size());
    EXPECT_EQ(r->state.snapshot.meta.index, 10u);
    if (r->state.entries.size() > synced.entries.size() &&
        r->state.entries.size() < durable.entries.size()) {
      ++torn;
    }
  }
  EXPECT_GT(torn, 0) << "no seed kept part of the unsynced entries";
  // Nothing unsynced: nothing lost.
  auto same = TearUnsynced(durable, durable, 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->state.entries.size(), durable.entries.size());
}

}  // namespace
}  // namespace splitbrain::harness::sim

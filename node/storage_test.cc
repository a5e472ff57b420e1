#include "node/storage.h"

#include <gtest/gtest.h>

#include "node/env.h"
#include "node/test_util.h"

namespace splitbrain::node {
namespace {

using raft::Entry;
using raft::HardState;

using testing::E;

std::unique_ptr<Storage> MustOpen(Env* env, const std::string& dir = "/d") {
  auto s = Storage::Open(env, dir);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(Crc32c, KnownValuesAndTheInstructionAgreesWithTheTable) {
  // RFC 3720, B.4, and the usual check value.
  const std::string digits = "123456789";
  const std::string zeros(32, '\0'), ones(32, '\xff');
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[static_cast<size_t>(i)] = static_cast<char>(i);
  for (auto crc : {Crc32c, Crc32cPortable}) {
    EXPECT_EQ(crc(digits.data(), digits.size(), 0), 0xE3069283u);
    EXPECT_EQ(crc(zeros.data(), zeros.size(), 0), 0x8A9136AAu);
    EXPECT_EQ(crc(ones.data(), ones.size(), 0), 0x62A8AB43u);
    EXPECT_EQ(crc(ascending.data(), ascending.size(), 0), 0x46DD794Eu);
    EXPECT_EQ(crc(nullptr, 0, 0), 0u);
  }
#if defined(__x86_64__)
  EXPECT_TRUE(Crc32cHardware()) << "every x86-64 CPU since 2008 has SSE 4.2";
#endif
  // Every length and alignment the eight-byte steps can meet, and continuing a result.
  std::string data(400, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& c : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (size_t off = 0; off < 8; ++off) {
    for (size_t n = 0; off + n <= 300; ++n) {
      const char* p = data.data() + off;
      ASSERT_EQ(Crc32c(p, n), Crc32cPortable(p, n)) << "offset " << off << " length " << n;
      const size_t half = n / 3;
      ASSERT_EQ(Crc32c(p + half, n - half, Crc32c(p, half)), Crc32c(p, n)) << off << " " << n;
    }
  }
}

TEST(Storage, RoundTripAndOverwrite) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    ASSERT_TRUE(s->Append({E(1, 1), E(2, 1), E(3, 1), E(4, 1)}, HardState{1, 1, 2}).ok());
    // A follower's conflicting suffix is replaced.
    ASSERT_TRUE(s->Append({E(3, 2), E(4, 2)}, HardState{2, 3, 3}).ok());
  }
  env.Crash();  // everything was fsynced: nothing may be lost
  auto s = MustOpen(&env);
  const auto& r = s->recovered();
  EXPECT_EQ(r.hard_state, (HardState{2, 3, 3}));
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.entries[1], E(2, 1));
  EXPECT_EQ(r.entries[2], E(3, 2));
  EXPECT_EQ(r.entries[3], E(4, 2));
  EXPECT_TRUE(s->repaired().empty());
}

// Group commit across Readys (node.cc's persister): several Readys' records in one write and
// one fsync, as durable as if each had been appended and fsynced in turn — a later Ready's
// conflicting entries replace an earlier one's, the last hard state wins — and a batch that only
// moves the commit index is not fsynced (etcd's MustSync).
TEST(Storage, ReadysAppendedTogetherTakeOneFsyncAndAreAllDurable) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    const uint64_t fsyncs_before = s->fsyncs();
    Storage::LogWrite a{{E(1, 1), E(2, 1), E(3, 1)}, HardState{1, 1, 0}};
    Storage::LogWrite b{{}, HardState{1, 1, 2}};
    Storage::LogWrite c{{E(3, 2), E(4, 2)}, HardState{2, 3, 2}};
    ASSERT_TRUE(s->Append({&a, &b, &c}).ok());
    EXPECT_EQ(s->fsyncs(), fsyncs_before + 1) << "one fsync for the three Readys";
    EXPECT_EQ(s->last_index(), 4u);
    Storage::LogWrite commit_only1{{}, HardState{2, 3, 3}};
    Storage::LogWrite commit_only2{{}, HardState{2, 3, 4}};
    ASSERT_TRUE(s->Append({&commit_only1, &commit_only2}).ok());
    EXPECT_EQ(s->fsyncs(), fsyncs_before + 1) << "a commit index alone needs no fsync";
  }
  env.Crash();  // the fsynced batch survives; the unsynced commit index may go back
  auto s = MustOpen(&env);
  const auto& r = s->recovered();
  EXPECT_EQ(r.hard_state.term, 2u);
  EXPECT_EQ(r.hard_state.vote, 3u);
  EXPECT_GE(r.hard_state.commit, 2u);
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.entries[1], E(2, 1));
  EXPECT_EQ(r.entries[2], E(3, 2));
  EXPECT_EQ(r.entries[3], E(4, 2));
}

TEST(Storage, SnapshotCompactsAndSurvivesCrash) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    std::vector<Entry> es;
    for (uint64_t i = 1; i <= 10; ++i) es.push_back(E(i, 1));
    ASSERT_TRUE(s->Append(es, HardState{1, 1, 8}).ok());
    raft::Snapshot snap;
    snap.meta.index = 6;
    snap.meta.term = 1;
    snap.meta.membership.voters = {1, 2, 3};
    snap.data = "image@6";
    ASSERT_TRUE(s->SaveSnapshot(snap).ok());
    ASSERT_TRUE(s->Append({E(11, 1)}, std::nullopt).ok());
  }
  env.Crash();
  auto names = env.ListDir("/d/wal");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 1u) << "old segments are removed after compaction";
  auto s = MustOpen(&env);
  const auto& r = s->recovered();
  EXPECT_EQ(r.snapshot.meta.index, 6u);
  EXPECT_EQ(r.snapshot.data, "image@6");
  EXPECT_EQ(r.snapshot.meta.membership.voters, (std::vector<raft::NodeId>{1, 2, 3}));
  ASSERT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(r.entries.front().index, 7u);
  EXPECT_EQ(r.entries.back(), E(11, 1));
  EXPECT_EQ(r.hard_state.commit, 8u);
}

TEST(Storage, LeaderSnapshotThatDisagreesDropsTheLog) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    ASSERT_TRUE(s->Append({E(1, 1), E(2, 1), E(3, 1)}, HardState{1, 0, 1}).ok());
    raft::Snapshot snap;
    snap.meta.index = 2;
    snap.meta.term = 5;  // our entry 2 has term 1: §7 says discard the whole log
    snap.data = "x";
    ASSERT_TRUE(s->SaveSnapshot(snap).ok());
  }
  auto s = MustOpen(&env);
  EXPECT_EQ(s->recovered().snapshot.meta.index, 2u);
  EXPECT_TRUE(s->recovered().entries.empty());
}

TEST(Storage, TornTailIsCutAndWritingGoesOn) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    ASSERT_TRUE(s->Append({E(1, 1), E(2, 1)}, HardState{1, 1, 0}).ok());
    ASSERT_TRUE(s->Append({E(3, 1, std::string(100, 'x'))}, std::nullopt).ok());
  }
  const std::string path = "/d/wal/0000000000000001.wal";
  std::string bytes = env.Contents(path);
  for (size_t cut : {size_t{5}, size_t{50}, size_t{112}}) {
    FaultyEnv copy;
    ASSERT_TRUE(copy.CreateDir("/").ok());
    ASSERT_TRUE(copy.CreateDir("/d").ok());
    ASSERT_TRUE(copy.CreateDir("/d/wal").ok());
    copy.SetContents(path, bytes.substr(0, bytes.size() - cut));
    auto s = MustOpen(&copy);
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->repaired().empty());
    EXPECT_EQ(s->recovered().entries.size(), 2u) << "cut " << cut;
    ASSERT_TRUE(s->Append({E(3, 2)}, HardState{2, 0, 0}).ok());
    s.reset();
    auto again = MustOpen(&copy);
    ASSERT_EQ(again->recovered().entries.size(), 3u);
    EXPECT_EQ(again->recovered().entries.back(), E(3, 2));
    EXPECT_TRUE(again->repaired().empty());
  }
  // Zeros after the last record (a preallocated segment's rest, or blocks allocated and never
  // written) are the end of the log: nothing to report, and they are cut before writing goes on.
  FaultyEnv zeros;
  ASSERT_TRUE(zeros.CreateDir("/").ok());
  ASSERT_TRUE(zeros.CreateDir("/d").ok());
  ASSERT_TRUE(zeros.CreateDir("/d/wal").ok());
  zeros.SetContents(path, bytes + std::string(4096, '\0'));
  auto s = MustOpen(&zeros);
  EXPECT_EQ(s->recovered().entries.size(), 3u);
  EXPECT_TRUE(s->repaired().empty()) << s->repaired();
  EXPECT_EQ(zeros.Contents(path), bytes);
  // Not in an older segment: a closed segment was cut to its records before the next began.
  FaultyEnv older;
  ASSERT_TRUE(older.CreateDir("/").ok());
  ASSERT_TRUE(older.CreateDir("/d").ok());
  ASSERT_TRUE(older.CreateDir("/d/wal").ok());
  older.SetContents(path, bytes + std::string(4096, '\0'));
  older.SetContents("/d/wal/0000000000000002.wal", "");
  auto refused = Storage::Open(&older, "/d");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("zeros (not the newest segment)"), std::string::npos)
      << refused.status();
}

TEST(Storage, CorruptionInTheMiddleIsRefusedNamingFileAndOffset) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(s->Append({E(i, 1)}, std::nullopt).ok());
  }
  const std::string path = "/d/wal/0000000000000001.wal";
  std::string bytes = env.Contents(path);
  const size_t record = bytes.size() / 5;
  for (size_t at : {record * 2 + 3 /*header*/, record * 2 + 20 /*payload*/}) {
    std::string bad = bytes;
    bad[at] ^= 0x40;
    env.SetContents(path, bad);
    auto s = Storage::Open(&env, "/d");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
    EXPECT_NE(s.status().message().find(path), std::string::npos) << s.status();
    EXPECT_NE(s.status().message().find("offset " + std::to_string(record * 2)), std::string::npos)
        << s.status();
  }
  // A damaged snapshot file is refused as well.
  env.SetContents(path, bytes);
  env.SetContents("/d/snapshot", "garbage that is long enough to parse");
  EXPECT_EQ(Storage::Open(&env, "/d").status().code(), StatusCode::kCorruption);
}

// The model of what a storage must hold: every acknowledged entry, hard state and snapshot.
struct Model {
  std::vector<Entry> log;  // log[i].index == i + 1 (entries covered by snapshots included)
  HardState hs;
  uint64_t snap_index = 0;
  uint64_t snap_term = 0;
};

// Runs a seeded sequence of storage operations until the env crashes (or it ends); returns the
// state acknowledged before the crash and the one the failed operation was trying to reach.
void RunWorkload(Env* env, uint64_t seed, Model* acked, Model* pending, int steps) {
  Rng rng(seed);
  auto opened = Storage::Open(env, "/d");
  if (!opened.ok()) return;
  auto s = std::move(opened).value();
  for (int step = 0; step < steps; ++step) {
    Model next = *acked;
    Status st;
    const uint64_t r = rng.Uniform(10);
    if (r < 7 || next.log.empty()) {
      // Append 1-4 entries, sometimes overwriting an uncommitted suffix, with a new hard state.
      uint64_t from = next.log.size() + 1;
      if (r == 1 && next.log.size() > next.hs.commit + 1 && from - 1 > next.snap_index + 1) {
        from = std::max(next.hs.commit, next.snap_index) + 1 +
               rng.Uniform(next.log.size() - std::max(next.hs.commit, next.snap_index));
      }
      const uint64_t term = next.hs.term + (rng.Chance(0.2) ? 1 : 0);
      next.log.resize(from - 1);
      std::vector<Entry> batch;
      const uint64_t n = 1 + rng.Uniform(4);
      for (uint64_t i = 0; i < n; ++i) {
        batch.push_back(
            E(from + i, std::max<uint64_t>(term, 1),
              "s" + std::to_string(seed) + "-" + std::to_string(step) + "-" + std::to_string(i)));
        next.log.push_back(batch.back());
      }
      next.hs.term = std::max<uint64_t>(term, 1);
      next.hs.vote = 1;
      next.hs.commit = std::max(next.hs.commit, next.log.size() - rng.Uniform(2));
      st = s->Append(batch, next.hs);
    } else {
      // Snapshot somewhere between the old snapshot and the commit index.
      uint64_t top = std::min<uint64_t>(next.hs.commit, next.log.size());
      if (top <= next.snap_index) continue;
      raft::Snapshot snap;
      snap.meta.index = next.snap_index + 1 + rng.Uniform(top - next.snap_index);
      snap.meta.term = next.log[snap.meta.index - 1].term;
      snap.data = "image@" + std::to_string(snap.meta.index);
      next.snap_index = snap.meta.index;
      next.snap_term = snap.meta.term;
      st = s->SaveSnapshot(snap);
    }
    // One copy of the model per step (it was three: half the test's CPU went to copying logs).
    if (!st.ok()) {  // crashed: `pending` may or may not have happened
      *pending = std::move(next);
      return;
    }
    *acked = std::move(next);
  }
  *pending = *acked;
}

// Checks that what the storage recovered is the acknowledged state, or the pending one, or a
// mix of them only where a torn write makes that possible (an entry is one or the other).
void CheckRecovered(const raft::DurableState& r, const Model& acked, const Model& pending,
                    const std::string& what) {
  ASSERT_TRUE(r.hard_state == acked.hs || r.hard_state.term == pending.hs.term) << what;
  ASSERT_GE(r.hard_state.commit, acked.hs.commit) << what;
  ASSERT_TRUE(r.snapshot.meta.index == acked.snap_index ||
              r.snapshot.meta.index == pending.snap_index)
      << what;
  if (r.snapshot.meta.index > 0) {
    ASSERT_EQ(r.snapshot.data, "image@" + std::to_string(r.snapshot.meta.index)) << what;
  }
  const uint64_t first = r.snapshot.meta.index + 1;
  // The first index the pending write replaced: from there on, a torn write may have left only
  // a prefix of the new entries (the replaced ones were never committed).
  uint64_t replaced = acked.log.size() + 1;
  for (uint64_t i = 1; i <= acked.log.size(); ++i) {
    if (i > pending.log.size() || !(pending.log[i - 1] == acked.log[i - 1])) {
      replaced = i;
      break;
    }
  }
  for (uint64_t i = first; i <= acked.log.size(); ++i) {
    const uint64_t pos = i - first;
    const bool pending_has = i <= pending.log.size();
    if (pos >= r.entries.size() && i >= replaced) break;
    ASSERT_LT(pos, r.entries.size()) << what << ": acknowledged entry " << i << " lost";
    const Entry& got = r.entries[pos];
    ASSERT_TRUE(got == acked.log[i - 1] || (pending_has && got == pending.log[i - 1]))
        << what << ": entry " << i << " is " << got.data;
  }
}

TEST(Storage, NoAcknowledgedWriteIsLostAtAnyCrashPoint) {
  constexpr int kSteps = 60;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    // Count the mutating calls of an uncrashed run, then crash at each of them in turn.
    FaultyEnv probe;
    ASSERT_TRUE(probe.CreateDir("/").ok());
    Model a, p;
    RunWorkload(&probe, seed, &a, &p, kSteps);
    const uint64_t calls = probe.mutating_calls();
    ASSERT_GT(calls, 40u);
    for (uint64_t k = 1; k <= calls; ++k) {
      FaultyEnv env;
      ASSERT_TRUE(env.CreateDir("/").ok());
      env.CrashAfter(k);
      Model acked, pending;
      RunWorkload(&env, seed, &acked, &pending, kSteps);
      Rng torn(seed * 1000 + k);
      env.Crash(&torn);
      const std::string what =
          "seed " + std::to_string(seed) + " crash at call " + std::to_string(k);
      auto s = Storage::Open(&env, "/d");
      ASSERT_TRUE(s.ok()) << what << ": " << s.status();
      CheckRecovered((*s)->recovered(), acked, pending, what);
      // Writing goes on after recovery, and a second restart sees it.
      uint64_t next = (*s)->last_index() + 1;
      raft::HardState hs = (*s)->recovered().hard_state;
      hs.term += 1;
      ASSERT_TRUE((*s)->Append({E(next, hs.term)}, hs).ok()) << what;
      s->reset();
      env.Crash();
      auto again = Storage::Open(&env, "/d");
      ASSERT_TRUE(again.ok()) << what << ": " << again.status();
      ASSERT_FALSE((*again)->recovered().entries.empty()) << what;
      EXPECT_EQ((*again)->recovered().entries.back(), E(next, hs.term)) << what;
    }
  }
}

// Issue 15, found by splitbrain-fs under the correct node: a directory's name is durable only
// once its parent is fsynced, and Recover created wal/ (and the data directory) without
// syncing their parents, so a power cut after the first boot could take the whole log with it.
TEST(Storage, TheLogDirectoryItselfSurvivesAPowerCut) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = MustOpen(&env);
    ASSERT_TRUE(s->Append({E(1, 1), E(2, 1)}, HardState{1, 1, 2}).ok());
  }
  env.Crash();
  EXPECT_TRUE(env.Exists("/d/wal"));
  auto s = MustOpen(&env);
  ASSERT_EQ(s->recovered().entries.size(), 2u);
  EXPECT_EQ(s->recovered().hard_state, (HardState{1, 1, 2}));
}

// The planted bug no-fsync really does lose acknowledged writes at a crash.
TEST(Storage, NoFsyncBugLosesAcknowledgedWrites) {
  FaultyEnv env;
  ASSERT_TRUE(env.CreateDir("/").ok());
  {
    auto s = Storage::Open(&env, "/d", StorageOptions{.sync = false});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append({E(1, 1), E(2, 1)}, HardState{1, 1, 2}).ok());
    EXPECT_EQ((*s)->fsyncs(), 0u);
  }
  env.Crash();
  auto s = MustOpen(&env);
  EXPECT_TRUE(s->recovered().entries.empty());
}

}  // namespace
}  // namespace splitbrain::node

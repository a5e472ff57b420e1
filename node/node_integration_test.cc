// Three (or four) real splitbrain-node processes on 127.0.0.1 with their own ports and data
// directories: election, writes and linearizable reads, kill -9 of the leader, restart with data
// intact, a follower brought back by snapshot, membership changes, /status counting ticks,
// --crash-loses-unsynced with and without the no-fsync bug, failpoint crashes and restarts, flags
// and a corrupt log.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/rng.h"
#include "node/local_cluster.h"
#include "node/test_util.h"

namespace splitbrain::node {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

using testing::kNodeBinary;
using testing::TempDir;

class Cluster : public ::testing::Test {
 protected:
  void Make(int n, std::vector<std::string> args = {}) {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    args.insert(args.end(), {"--log-level", "warn"});
    cluster_ = std::make_unique<LocalCluster>(kNodeBinary, dir_, n, args);
    ASSERT_TRUE(cluster_->StartAll().ok());
  }
  void TearDown() override {
    if (cluster_) {
      EXPECT_EQ(cluster_->UnexpectedExits(), 0) << "a node died on its own; see " << dir_;
    }
    cluster_.reset();
    if (!HasFailure() && !dir_.empty()) std::filesystem::remove_all(dir_);
    if (HasFailure()) std::cerr << "node data kept in " << dir_ << "\n";
  }
  Reply Do(const json& cmd) { return cluster_->Command(cmd, 5s); }

  // (index -> "term/hash") from a node's event log.
  std::map<uint64_t, std::string> Applied(int i) {
    std::map<uint64_t, std::string> out;
    std::ifstream in(cluster_->DataDir(i) + "/events.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      json ev = json::parse(line, nullptr, false);
      if (ev.is_object() && ev["event"] == "apply") {
        out[ev["index"].get<uint64_t>()] =
            std::to_string(ev["term"].get<uint64_t>()) + "/" + ev["hash"].get<std::string>();
      }
    }
    return out;
  }
  int CountEvents(int i, const std::string& kind) {
    std::ifstream in(cluster_->DataDir(i) + "/events.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      json ev = json::parse(line, nullptr, false);
      if (ev.is_object() && ev["event"] == kind) ++n;
    }
    return n;
  }
  uint64_t Commit(int i) {
    json s = cluster_->NodeStatus(i);
    return s.is_object() ? s["commit"].get<uint64_t>() : 0;
  }
  // Starts a fourth node with --join and has `leader` add it as a voter; its index.
  int AddJoinedVoter(int leader) {
    int n4 = cluster_->AddJoiner();
    EXPECT_TRUE(cluster_->Start(n4).ok());
    Client admin(cluster_->ClientAddress(leader));
    Reply added = admin.AddMember(cluster_->Name(n4), cluster_->PeerAddress(n4),
                                  cluster_->ClientAddress(n4), true, 5s);
    EXPECT_EQ(added.outcome, Outcome::kOk) << added.error;
    return n4;
  }

  std::string dir_;
  std::unique_ptr<LocalCluster> cluster_;
};

TEST_F(Cluster, ElectsOneLeaderAndServesLinearizableWritesAndReads) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  // Exactly one node says it leads.
  int leaders = 0;
  for (int i = 0; i < 3; ++i) leaders += cluster_->NodeStatus(i)["role"] == "leader";
  EXPECT_EQ(leaders, 1);

  for (int v = 1; v <= 20; ++v) {
    Reply w = Do({{"op", "write"}, {"key", "x"}, {"value", v}});
    ASSERT_EQ(w.outcome, Outcome::kOk) << w.error;
    Reply r = Do({{"op", "read"}, {"key", "x"}});
    ASSERT_EQ(r.outcome, Outcome::kOk) << r.error;
    EXPECT_EQ(r.value, v) << "a read after an acknowledged write must see it";
  }
  Reply cas = Do({{"op", "cas"}, {"key", "x"}, {"expected", 7}, {"value", 8}});
  EXPECT_EQ(cas.outcome, Outcome::kFail);
  EXPECT_EQ(cas.http_status, 409);
  EXPECT_TRUE(Do({{"op", "cas"}, {"key", "x"}, {"expected", 20}, {"value", 21}}).ok());

  // A follower refuses writes and names the leader.
  int follower = (leader + 1) % 3;
  Client c(cluster_->ClientAddress(follower));
  Reply refused = c.Command({{"op", "write"}, {"key", "x"}, {"value", 0}}, 2s);
  EXPECT_EQ(refused.outcome, Outcome::kFail);
  EXPECT_EQ(refused.http_status, 421);
  EXPECT_EQ(refused.leader, cluster_->Name(leader));
  EXPECT_EQ(refused.leader_client, cluster_->ClientAddress(leader));

  // Exactly-once: a retried command with the same client+seq is applied once.
  json add = {{"op", "counter-add"}, {"key", "c"}, {"value", 5}, {"client", "p1"}, {"seq", 1}};
  EXPECT_EQ(Do(add).value, 5);
  EXPECT_EQ(Do(add).value, 5);
  EXPECT_EQ(Do({{"op", "counter-read"}, {"key", "c"}}).value, 5);

  // The leader answered them without waiting, each time, for a disk write of the Ready that
  // told it they were committed: that Ready had nothing to write (stats.commit_only) or its
  // committed entries were applied ahead of its write (stats.applied_ahead). A write is one
  // fsync away, not two.
  json st = cluster_->NodeStatus(leader);
  ASSERT_TRUE(st.contains("stats")) << st.dump();
  EXPECT_GE(st["stats"].value("applied_ahead", 0) + st["stats"].value("commit_only", 0), 20u)
      << st.dump();
  // One client, one read at a time: every read took a round of its own (21 reads above, and
  // the compare-and-set that failed, which went the read way: AFailedCompareAndSetWritesNothing).
  EXPECT_EQ(st["stats"].value("reads", 0), 22u) << st.dump();
  EXPECT_EQ(st["stats"].value("read_rounds", 0), 22u) << st.dump();
  // Each write's commit reached the followers on its own (an AppendEntries after it committed, or
  // a heartbeat: a read round's goes to one of them), telling them a newer commit index and
  // nothing else: a Ready that changes only the commit index is not a write of its own
  // (stats.commit_only), it rides with the next one.
  for (int i = 0; i < 3; ++i) {
    if (i == leader) continue;
    json fs = cluster_->NodeStatus(i);
    EXPECT_GE(fs["stats"].value("commit_only", 0), 10u) << fs.dump();
    // A follower has no proposal of its own: it applies every entry from its text.
    EXPECT_EQ(fs["stats"].value("applied_own", 1), 0u) << fs.dump();
    // It answers the leader's messages and sends none of a leader's.
    const json sent = fs["stats"].value("sent", json::object());
    EXPECT_GE(sent.value("AppResp", 0), 20u) << fs.dump();
    EXPECT_EQ(sent.value("App", 0), 0u) << fs.dump();
    EXPECT_EQ(sent.value("Heartbeat", 0), 0u) << fs.dump();
  }
  {
    const json sent = st["stats"].value("sent", json::object());
    EXPECT_GE(sent.value("App", 0), 20u) << st.dump();
    EXPECT_GE(sent.value("Heartbeat", 0), 1u) << st.dump();
    EXPECT_EQ(sent.value("AppResp", 0), 0u) << st.dump();
  }
  // The leader applied its own proposals (the 20 writes, the cas that succeeded, both
  // counter-adds) from the commands it proposed, not by parsing each entry again.
  EXPECT_GE(st["stats"].value("applied_own", 0), 22u) << st.dump();
  // Concurrent reads share rounds: at most two rounds are out at once, and every read that
  // arrives meanwhile waits for the next one instead of starting its own.
  {
    std::vector<std::thread> readers;
    std::atomic<int> ok{0};
    for (int c = 0; c < 16; ++c) {
      readers.emplace_back([&] {
        Client client(cluster_->ClientAddress(leader));
        for (int i = 0; i < 10; ++i) ok += client.Command({{"op", "read"}, {"key", "x"}}, 5s).ok();
      });
    }
    for (auto& t : readers) t.join();
    EXPECT_EQ(ok, 160);
    json after = cluster_->NodeStatus(leader)["stats"];
    const uint64_t reads = after.value("reads", 0) - 22u;
    const uint64_t rounds = after.value("read_rounds", 0) - 22u;
    EXPECT_EQ(reads, 160u) << after.dump();
    EXPECT_LT(rounds, reads * 3 / 4)
        << "16 concurrent readers barely shared a round: " << after.dump();
  }

  // Every node applied the same entries at the same indexes.
  uint64_t commit = Commit(leader);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cluster_->WaitApplied(i, commit, 5s));
  auto a0 = Applied(0);
  EXPECT_GE(a0.size(), 24u);
  for (int i = 1; i < 3; ++i) {
    auto ai = Applied(i);
    for (auto& [index, th] : ai) {
      if (a0.count(index)) {
        EXPECT_EQ(a0[index], th) << "index " << index << " on n" << i + 1;
      }
    }
  }
}

// stats.latency_us counts each write the leader proposed at each of its moments (durable on the
// leader's disk, committed, answered) and each read it answered, and every member's log syncs.
TEST_F(Cluster, StatusSaysWhereAnOperationsTimeWent) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  for (int v = 1; v <= 10; ++v) {
    ASSERT_TRUE(Do({{"op", "write"}, {"key", "k"}, {"value", v}}).ok());
    if (v <= 7) {
      ASSERT_TRUE(Do({{"op", "read"}, {"key", "k"}}).ok());
    }
  }
  const json lat = cluster_->NodeStatus(leader)["stats"]["latency_us"];
  for (const char* stage : {"write_durable", "write_committed", "write_answered"}) {
    EXPECT_EQ(lat[stage]["count"], 10u) << stage << ": " << lat.dump();
  }
  EXPECT_EQ(lat["read_answered"]["count"], 7u) << lat.dump();
  EXPECT_GE(lat["log_sync"]["count"].get<uint64_t>(), 10u) << lat.dump();
  for (const auto& [stage, h] : lat.items()) {
    uint64_t in_buckets = 0;
    for (const json& b : h["buckets"]) in_buckets += b[1].get<uint64_t>();
    EXPECT_EQ(in_buckets, h["count"].get<uint64_t>()) << stage;
    EXPECT_LE(h["p50"].get<uint64_t>(), h["p90"].get<uint64_t>()) << stage;
    EXPECT_LE(h["p90"].get<uint64_t>(), h["p99"].get<uint64_t>()) << stage;
    EXPECT_LE(h["p99"].get<uint64_t>(), h["max"].get<uint64_t>()) << stage;
    EXPECT_GT(h["p50"].get<uint64_t>(), 0u) << stage;
  }
  // A write is answered only once it is committed and durable here, so each of its answered
  // times is at least the other two, and so is every percentile of them.
  for (const char* q : {"p50", "p99", "max"}) {
    EXPECT_GE(lat["write_answered"][q], lat["write_committed"][q]) << q << ": " << lat.dump();
    EXPECT_GE(lat["write_answered"][q], lat["write_durable"][q]) << q << ": " << lat.dump();
  }
  // Followers propose nothing and answer no client, but sync their logs.
  for (int i = 0; i < 3; ++i) {
    if (i == leader) continue;
    const json f = cluster_->NodeStatus(i)["stats"]["latency_us"];
    EXPECT_EQ(f["write_answered"]["count"], 0u) << f.dump();
    EXPECT_EQ(f["read_answered"]["count"], 0u) << f.dump();
    EXPECT_GE(f["log_sync"]["count"].get<uint64_t>(), 10u) << f.dump();
  }
}

// A compare-and-set whose compare fails is answered after a ReadIndex round, with no log entry;
// one whose compare holds, and any command of a session, goes through the log.
TEST_F(Cluster, AFailedCompareAndSetWritesNothing) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  const uint64_t commit = Commit(leader);

  Reply failed = Do({{"op", "cas"}, {"key", "x"}, {"expected", 5}, {"value", 6}});
  EXPECT_EQ(failed.outcome, Outcome::kFail);
  EXPECT_EQ(failed.http_status, 409);
  EXPECT_NE(failed.error.find("register holds 1"), std::string::npos) << failed.error;
  json st = cluster_->NodeStatus(leader)["stats"];
  EXPECT_EQ(st.value("cas_reads", 0), 1u) << st.dump();
  EXPECT_EQ(st.value("cas_failed_by_read", 0), 1u) << st.dump();
  EXPECT_EQ(Commit(leader), commit) << "a compare that failed was written to the log";

  // The compare holds: through the log, as every write.
  Reply ok = Do({{"op", "cas"}, {"key", "x"}, {"expected", 1}, {"value", 2}});
  EXPECT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(Commit(leader), commit + 1);
  // A session's compare-and-set is decided by the log even when it fails (§6.3: a retry must
  // get the answer the log kept).
  json session = {{"op", "cas"}, {"key", "x"},     {"expected", 5},
                  {"value", 6},  {"client", "p1"}, {"seq", 1}};
  EXPECT_EQ(Do(session).http_status, 409);
  EXPECT_EQ(Commit(leader), commit + 2);
  st = cluster_->NodeStatus(leader)["stats"];
  EXPECT_EQ(st.value("cas_reads", 0), 1u) << st.dump();
  EXPECT_EQ(Do({{"op", "read"}, {"key", "x"}}).value, 2);
}

TEST_F(Cluster, LeaderKilledNewLeaderTakesOverAndNothingAcknowledgedIsLost) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  std::set<int64_t> acked;
  for (int v = 0; v < 40; ++v) {
    if (Do({{"op", "set-add"}, {"key", "s"}, {"value", v}}).ok()) acked.insert(v);
  }
  ASSERT_EQ(acked.size(), 40u);
  cluster_->Kill(leader);
  int next = cluster_->WaitForLeader(10s, leader);
  ASSERT_GE(next, 0);
  EXPECT_NE(next, leader);
  for (int v = 40; v < 60; ++v) {
    if (Do({{"op", "set-add"}, {"key", "s"}, {"value", v}}).ok()) acked.insert(v);
  }
  Reply r = Do({{"op", "set-read"}, {"key", "s"}});
  ASSERT_TRUE(r.ok()) << r.error;
  std::set<int64_t> seen;
  for (auto& v : r.value) seen.insert(v.get<int64_t>());
  for (int64_t v : acked) EXPECT_TRUE(seen.count(v)) << "acknowledged add " << v << " lost";
  // The old leader comes back from its disk and catches up.
  ASSERT_TRUE(cluster_->Start(leader).ok());
  ASSERT_TRUE(cluster_->WaitApplied(leader, Commit(next), 10s));
  EXPECT_EQ(CountEvents(leader, "start"), 2);
}

TEST_F(Cluster, RestartWithDataIntact) {
  Make(3);
  ASSERT_GE(cluster_->WaitForLeader(10s), 0);
  ASSERT_TRUE(Do({{"op", "bank-init"}, {"accounts", {{"a", 10}, {"b", 0}}}}).ok());
  ASSERT_TRUE(Do({{"op", "transfer"}, {"from", "a"}, {"to", "b"}, {"amount", 4}}).ok());
  ASSERT_TRUE(Do({{"op", "append"}, {"key", "k"}, {"value", "xy"}}).ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster_->Terminate(i), 0) << "SIGTERM is a clean exit";
  ASSERT_TRUE(cluster_->StartAll().ok());
  ASSERT_GE(cluster_->WaitForLeader(10s), 0);
  EXPECT_EQ(Do({{"op", "bank-read"}}).value, json({{"a", 6}, {"b", 4}}));
  EXPECT_EQ(Do({{"op", "get"}, {"key", "k"}}).value, "xy");
}

TEST_F(Cluster, FollowerBehindTheSnapshotIsBroughtBackByInstallSnapshot) {
  Make(3, {"--snapshot-entries", "40"});
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  int lagging = (leader + 1) % 3;
  cluster_->Kill(lagging);
  for (int v = 0; v < 150; ++v) {
    ASSERT_TRUE(Do({{"op", "write"}, {"key", "k" + std::to_string(v % 7)}, {"value", v}}).ok());
  }
  json st = cluster_->NodeStatus(leader);
  ASSERT_GT(st["snapshot_index"].get<uint64_t>(), 40u) << st.dump();
  ASSERT_TRUE(cluster_->Start(lagging).ok());
  ASSERT_TRUE(cluster_->WaitApplied(lagging, Commit(leader), 10s));
  EXPECT_GE(CountEvents(lagging, "restore"), 1) << "caught up without InstallSnapshot?";
  // Its state machine is the leader's: make it the leader and read every key through it.
  Client admin(cluster_->ClientAddress(leader));
  ASSERT_TRUE(admin.TransferLeadership(cluster_->Name(lagging), 5s).ok());
  ASSERT_EQ(cluster_->WaitForLeader(5s), lagging);
  for (int k = 0; k < 7; ++k) {
    int last = 149 - ((149 - k) % 7);  // the last v < 150 with v % 7 == k
    Client c(cluster_->ClientAddress(lagging));
    Reply r = c.Command({{"op", "read"}, {"key", "k" + std::to_string(k)}}, 5s);
    EXPECT_EQ(r.value, last) << "k" << k << ": " << r.error;
  }
  // Restarting it again recovers from its own snapshot file.
  cluster_->Kill(lagging);
  ASSERT_TRUE(cluster_->Start(lagging).ok());
  json s2 = cluster_->NodeStatus(lagging);
  EXPECT_GT(s2["snapshot_index"].get<uint64_t>(), 0u);
}

TEST_F(Cluster, AddAndRemoveAMember) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  int n4 = AddJoinedVoter(leader);
  ASSERT_FALSE(HasFailure());
  Client admin(cluster_->ClientAddress(leader));
  ASSERT_TRUE(cluster_->WaitApplied(n4, Commit(leader), 10s));
  json st = cluster_->NodeStatus(leader);
  ASSERT_EQ(st["members"].size(), 4u) << st.dump();
  // The new member knows everyone's addresses (from the log) and the data.
  json s4 = cluster_->NodeStatus(n4);
  EXPECT_EQ(s4["members"].size(), 4u) << s4.dump();
  // Remove a follower other than the new one: 3 voters remain and writes go on.
  int victim = (leader + 1) % 3;
  Reply removed = admin.RemoveMember(cluster_->Name(victim), 5s);
  ASSERT_EQ(removed.outcome, Outcome::kOk) << removed.error;
  st = cluster_->NodeStatus(leader);
  EXPECT_EQ(st["members"].size(), 3u) << st.dump();
  cluster_->Kill(victim);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 2}}).ok());
  EXPECT_EQ(Do({{"op", "read"}, {"key", "x"}}).value, 2);
  // Bad requests are refused as such.
  EXPECT_EQ(admin.RemoveMember("bogus", 2s).http_status, 400);
}

// Regression: a node started with --join learned the initial voters only from the bootstrap
// entry, which it ignored, so its own snapshot recorded a membership without them and a restart
// from that snapshot left it believing in a one-member cluster.
TEST_F(Cluster, JoinedMemberRestartedFromItsOwnSnapshotKnowsEveryMember) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  int n4 = AddJoinedVoter(leader);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 2}}).ok());
  ASSERT_TRUE(cluster_->WaitApplied(n4, Commit(leader), 10s));
  Client own(cluster_->ClientAddress(n4));
  ASSERT_EQ(own.Snapshot(5s).outcome, Outcome::kOk);
  ASSERT_EQ(cluster_->Terminate(n4), 0);
  ASSERT_TRUE(cluster_->Start(n4).ok());
  json s4;
  for (int i = 0; i < 50; ++i) {
    s4 = cluster_->NodeStatus(n4);
    if (s4.is_object() && s4["snapshot_index"].get<uint64_t>() > 0) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(s4.is_object());
  EXPECT_GT(s4["snapshot_index"].get<uint64_t>(), 0u) << s4.dump();
  EXPECT_EQ(s4["members"].size(), 4u) << s4.dump();
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 3}}).ok());
  EXPECT_TRUE(cluster_->WaitApplied(n4, Commit(leader), 10s));
}

TEST_F(Cluster, TransferLeadershipAndSnapshotOnDemand) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  Client admin(cluster_->ClientAddress(leader));
  Reply snap = admin.Snapshot(2s);
  ASSERT_TRUE(snap.ok()) << snap.error;
  EXPECT_GT(snap.body["index"].get<uint64_t>(), 0u);
  int to = (leader + 2) % 3;
  Reply t = admin.TransferLeadership(cluster_->Name(to), 5s);
  ASSERT_TRUE(t.ok()) << t.error;
  EXPECT_EQ(cluster_->WaitForLeader(5s), to);
}

// /status counts the node's ticks (stats.ticks): they advance, and never faster than one per
// --tick-ms (the timer is re-armed after each tick), which is what lets a test see a starved
// node tick less (harness/lab_test.cc, slow-node).
TEST_F(Cluster, StatusCountsTicksAtMostOnePerTickMs) {
  Make(1, {"--tick-ms", "20"});
  ASSERT_EQ(cluster_->WaitForLeader(10s), 0);
  auto ticks = [&]() -> uint64_t {
    const json s = cluster_->NodeStatus(0, 2s);
    const json::json_pointer at("/stats/ticks");
    const bool counted = s.is_object() && s.contains(at) && s[at].is_number_unsigned();
    EXPECT_TRUE(counted) << "no stats.ticks in " << s.dump();
    return counted ? s[at].get<uint64_t>() : 0;
  };
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t a = ticks();
  std::this_thread::sleep_for(500ms);
  const uint64_t b = ticks();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GT(b, a) << "the node took no tick in " << ms << " ms";
  EXPECT_LE(b - a, static_cast<uint64_t>(ms / 20 + 1)) << "more ticks than " << ms << " ms allow";
}

// A paused leader (SIGSTOP) is replaced; when it resumes it learns the new term, steps down,
// and nothing acknowledged meanwhile is lost.
TEST_F(Cluster, PausedLeaderIsReplacedAndStepsDownOnResume) {
  Make(3);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
  cluster_->Signal(leader, SIGSTOP);
  int next = cluster_->WaitForLeader(10s, leader);
  ASSERT_GE(next, 0);
  ASSERT_NE(next, leader);
  ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 2}}).ok());
  cluster_->Signal(leader, SIGCONT);
  bool stepped_down = false;
  for (int i = 0; i < 100 && !stepped_down; ++i) {
    json s = cluster_->NodeStatus(leader);
    stepped_down = s.is_object() && s["role"] != "leader" && s["leader"].is_string();
    if (!stepped_down) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(stepped_down) << cluster_->NodeStatus(leader).dump();
  EXPECT_EQ(Do({{"op", "read"}, {"key", "x"}}).value, 2);
  int now = cluster_->WaitForLeader(5s);
  ASSERT_GE(now, 0);
  ASSERT_TRUE(cluster_->WaitApplied(leader, Commit(now), 5s));
}

// Planted bug ack-before-commit: with both followers gone a write cannot commit, yet the buggy
// leader answers ok; the correct one answers unknown.
TEST_F(Cluster, AckBeforeCommitBugAnswersOkWithoutAQuorum) {
  for (bool bug : {false, true}) {
    std::vector<std::string> args = {"--request-timeout-ms", "800"};
    if (bug) args.insert(args.end(), {"--bug", "ack-before-commit"});
    Make(3, args);
    int leader = cluster_->WaitForLeader(10s);
    ASSERT_GE(leader, 0);
    ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 1}}).ok());
    cluster_->Kill((leader + 1) % 3);
    cluster_->Kill((leader + 2) % 3);
    Client c(cluster_->ClientAddress(leader));
    Reply r = c.Command({{"op", "write"}, {"key", "x"}, {"value", 2}}, 3s);
    EXPECT_EQ(r.outcome, bug ? Outcome::kOk : Outcome::kUnknown) << (bug ? "bug" : "correct");
    cluster_.reset();
    std::filesystem::remove_all(dir_);
  }
}

// --crash-loses-unsynced: each node keeps what it did not fsync in memory, so SIGKILL loses it as
// a power cut would. Killing every node loses no acknowledged write of the correct node (it
// fsyncs before answering) and the acknowledged write of --bug no-fsync. SIGTERM is no crash:
// bug or not, a clean exit writes everything out.
TEST_F(Cluster, CrashLosesUnsyncedMakesTheNoFsyncBugLoseAcknowledgedWrites) {
  for (bool bug : {false, true}) {
    const std::string what = bug ? "no-fsync" : "correct";
    std::vector<std::string> args = {"--crash-loses-unsynced"};
    if (bug) args.insert(args.end(), {"--bug", "no-fsync"});
    Make(3, args);
    ASSERT_GE(cluster_->WaitForLeader(10s), 0) << what;
    for (int v = 1; v <= 20; ++v) {
      ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", v}}).ok()) << what;
    }
    for (int i = 0; i < 3; ++i) EXPECT_EQ(cluster_->Terminate(i), 0) << what;
    ASSERT_TRUE(cluster_->StartAll().ok());
    ASSERT_GE(cluster_->WaitForLeader(10s), 0) << what;
    EXPECT_EQ(Do({{"op", "read"}, {"key", "x"}}).value, json(20)) << what << ": after SIGTERM";
    ASSERT_TRUE(Do({{"op", "write"}, {"key", "x"}, {"value", 21}}).ok()) << what;
    for (int i = 0; i < 3; ++i) cluster_->Kill(i);
    ASSERT_TRUE(cluster_->StartAll().ok());
    ASSERT_GE(cluster_->WaitForLeader(10s), 0) << what;
    Reply r = Do({{"op", "read"}, {"key", "x"}});
    ASSERT_TRUE(r.ok()) << what << ": " << r.error;
    // With the bug only what the clean exit wrote out is left.
    EXPECT_EQ(r.value, json(bug ? 20 : 21)) << what << ": after SIGKILL of every node";
    EXPECT_EQ(cluster_->UnexpectedExits(), 0) << what;
    cluster_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
}

// Concurrent clients add unique elements while nodes are killed with SIGKILL and restarted:
// every acknowledged add is in the final set, nothing that was never sent is, and every node
// applied the same entry at each index.
TEST_F(Cluster, KillsDuringWritesLoseNothingAcknowledged) {
  Make(3, {"--snapshot-entries", "200"});
  ASSERT_GE(cluster_->WaitForLeader(10s), 0);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<int64_t> acked, attempted;
  std::vector<std::thread> clients;
  std::vector<std::string> addresses;
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    addresses.push_back(cluster_->ClientAddress(i));
    names.push_back(cluster_->Name(i));
  }
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&, c] {
      std::vector<std::unique_ptr<Client>> conns;
      for (int i = 0; i < 3; ++i) conns.push_back(std::make_unique<Client>(addresses[i]));
      int target = c % 3;
      for (int64_t n = 0; !stop; ++n) {
        const int64_t v = c * 1000000 + n;
        {
          std::lock_guard<std::mutex> l(mu);
          attempted.insert(v);
        }
        Reply r = conns[target]->Command({{"op", "set-add"}, {"key", "s"}, {"value", v}}, 1s);
        if (r.ok()) {
          std::lock_guard<std::mutex> l(mu);
          acked.insert(v);
        } else if (r.redirect()) {
          for (int i = 0; i < 3; ++i) {
            if (names[i] == r.leader) target = i;
          }
        } else {
          target = (target + 1) % 3;
          std::this_thread::sleep_for(20ms);
        }
      }
    });
  }
  Rng rng(7);
  for (int round = 0; round < 6; ++round) {
    std::this_thread::sleep_for(600ms);
    int victim = static_cast<int>(rng.Uniform(3));
    cluster_->Kill(victim);
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(cluster_->Start(victim).ok());
  }
  std::this_thread::sleep_for(500ms);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(acked.size(), 50u);
  int leader = cluster_->WaitForLeader(10s);
  ASSERT_GE(leader, 0);
  Reply r = Do({{"op", "set-read"}, {"key", "s"}});
  ASSERT_TRUE(r.ok()) << r.error;
  std::set<int64_t> seen;
  for (auto& v : r.value) seen.insert(v.get<int64_t>());
  for (int64_t v : acked) EXPECT_TRUE(seen.count(v)) << "acknowledged add " << v << " lost";
  for (int64_t v : seen) EXPECT_TRUE(attempted.count(v)) << v << " was never sent";
  uint64_t commit = Commit(leader);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cluster_->WaitApplied(i, commit, 10s));
  auto a0 = Applied(leader);
  for (int i = 0; i < 3; ++i) {
    for (auto& [index, th] : Applied(i)) {
      if (a0.count(index)) {
        ASSERT_EQ(a0[index], th) << "index " << index << " on " << cluster_->Name(i);
      }
    }
  }
}

TEST_F(Cluster, FailpointCrashRestartsTheNodeWithWhatItPersisted) {
  // Every leader crashes as it is about to send its first entry (its election no-op): the node
  // must come back by itself, as the same process (TearDown: no unexpected exit), from its disk.
  Make(3, {"--failpoint", "leader-send-entries=crash", "--crash-restart-ms", "50", "--seed", "5"});
  int crashed = -1;
  uint64_t crash_term = 0, start_term = 0;
  std::string seed_before, seed_after;  // the start events' seeds around the crash
  const auto end = std::chrono::steady_clock::now() + 20s;
  while (crashed < 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(100ms);
    for (int i = 0; i < cluster_->size() && crashed < 0; ++i) {
      std::ifstream in(cluster_->DataDir(i) + "/events.jsonl");
      std::string line;
      uint64_t fired_in = 0;
      while (std::getline(in, line)) {
        json ev = json::parse(line, nullptr, false);
        if (!ev.is_object()) continue;
        if (ev["event"] == "start" && fired_in == 0) seed_before = ev.value("seed", "");
        if (ev["event"] == "failpoint") {
          EXPECT_EQ(ev["name"], "leader-send-entries");
          EXPECT_EQ(ev["action"], "crash");
          fired_in = ev["term"].get<uint64_t>();
        } else if (ev["event"] == "start" && fired_in > 0) {
          crashed = i;
          crash_term = fired_in;
          start_term = ev["term"].get<uint64_t>();
          seed_after = ev.value("seed", "");
          break;
        }
      }
    }
  }
  ASSERT_GE(crashed, 0) << "no leader crashed at the failpoint and started again";
  // The term it led in was durable before it tried to send anything.
  EXPECT_GE(start_term, crash_term);
  // --seed 5 fixed the first life's randomness; the restarted life draws another sequence.
  EXPECT_EQ(seed_before, "5");
  EXPECT_FALSE(seed_after.empty());
  EXPECT_NE(seed_after, seed_before);
  json st;
  for (int i = 0; i < 50 && !st.is_object(); ++i) {
    st = cluster_->NodeStatus(crashed);
    if (!st.is_object()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(st.is_object()) << cluster_->Name(crashed) << " did not come back";
  EXPECT_TRUE(cluster_->Running(crashed));
}

TEST_F(Cluster, LeadersCrashingAtTheFailpointLoseNothingAcknowledged) {
  // One leader send in three crashes its leader: writes still get through, and every
  // acknowledged one survives the crashes and restarts.
  Make(3, {"--failpoint", "leader-send-entries=crash@0.3", "--crash-restart-ms", "50",
           "--max-entries-per-msg", "1", "--max-inflight-msgs", "1"});
  ASSERT_GE(cluster_->WaitForLeader(20s), 0);
  std::set<int64_t> acked;
  for (int v = 0; v < 30; ++v) {
    if (Do({{"op", "set-add"}, {"key", "s"}, {"value", v}}).ok()) acked.insert(v);
  }
  EXPECT_GE(acked.size(), 1u);
  Reply r;
  for (int i = 0; i < 20 && !r.ok(); ++i) r = Do({{"op", "set-read"}, {"key", "s"}});
  ASSERT_TRUE(r.ok()) << r.error;
  std::set<int64_t> seen;
  for (auto& v : r.value) seen.insert(v.get<int64_t>());
  for (int64_t v : acked) EXPECT_TRUE(seen.count(v)) << "acknowledged add " << v << " lost";
  int crashes = 0;
  for (int i = 0; i < cluster_->size(); ++i) crashes += CountEvents(i, "failpoint");
  EXPECT_GE(crashes, 1);
}

TEST(NodeFlags, BadFlagsExit2AndCorruptLogExits3) {
  auto run = [](std::vector<std::string> args) {
    args.insert(args.begin(), kNodeBinary);
    std::string cmd;
    for (auto& a : args) cmd += "'" + a + "' ";
    cmd += ">/dev/null 2>&1";
    int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_EQ(run({"--id", "n1"}), 2);
  EXPECT_EQ(run({"--id", "n1", "--data-dir", "/tmp/x", "--member", "n1=bad"}), 2);
  EXPECT_EQ(run({"--id", "n1", "--data-dir", "/tmp/x", "--member", "n1=127.0.0.1:1/127.0.0.1:2",
                 "--bug", "nonsense"}),
            2);
  EXPECT_EQ(run({"--frobnicate"}), 2);
  EXPECT_EQ(run({"--id", "n1", "--data-dir", "/tmp/x", "--member", "n1=127.0.0.1:1/127.0.0.1:2",
                 "--crash-loses-unsynced=yes"}),
            2);
  for (std::vector<std::string> bad :
       std::vector<std::vector<std::string>>{{"--failpoint", "nowhere=crash"},
                                             {"--failpoint", "leader-send-entries=explode"},
                                             {"--failpoint", "leader-send-entries=crash@2"},
                                             {"--max-inflight-msgs", "0"},
                                             {"--max-entries-per-msg", "x"},
                                             {"--crash-restart-ms", "-1"},
                                             {"--seed", "-3"},
                                             {"--seed", "12x"}}) {
    std::vector<std::string> args = {"--id",   "n1",       "--data-dir",
                                     "/tmp/x", "--member", "n1=127.0.0.1:1/127.0.0.1:2"};
    args.insert(args.end(), bad.begin(), bad.end());
    EXPECT_EQ(run(args), 2) << bad[0] << " " << bad[1];
  }

  // A log damaged in the middle: the node refuses to start (3) and says where.
  std::string dir = TempDir("corrupt");
  {
    LocalCluster one(kNodeBinary, dir, 1, {"--log-level", "warn"});
    ASSERT_TRUE(one.StartAll().ok());
    ASSERT_GE(one.WaitForLeader(10s), 0);
    for (int v = 0; v < 20; ++v)
      ASSERT_TRUE(one.Command({{"op", "write"}, {"key", "x"}, {"value", v}}, 5s).ok());
    EXPECT_EQ(one.Terminate(0), 0);
    std::string wal = dir + "/n1/wal/0000000000000001.wal";
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekg(0, std::ios::end);
    auto size = static_cast<long>(f.tellg());
    f.seekp(size / 2);
    f.put('\x55');
    f.put('\xAA');
    f.close();
    Status st = one.Start(0);
    EXPECT_FALSE(st.ok());
    std::ifstream log(dir + "/n1.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("0000000000000001.wal"), std::string::npos) << text;
    EXPECT_NE(text.find("offset"), std::string::npos) << text;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace splitbrain::node

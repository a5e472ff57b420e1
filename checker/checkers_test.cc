#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "checker/checker.h"
#include "checker/test_history.h"
#include "records/history_jsonl.h"

namespace splitbrain::checker {
namespace {

using testing::Parse;

// One op per call: invoke then complete, sequential unless interleaved by hand.
std::string Op(int p, const std::string& f, const std::string& value, const std::string& type,
               const std::string& out, const std::string& key = "") {
  std::string k = key.empty() ? "" : ",\"key\":\"" + key + "\"";
  return "{\"process\":" + std::to_string(p) + ",\"type\":\"invoke\",\"f\":\"" + f + "\"" + k +
         ",\"value\":" + value + "}\n{\"process\":" + std::to_string(p) + ",\"type\":\"" + type +
         "\",\"f\":\"" + f + "\"" + k + ",\"value\":" + out + "}\n";
}

TEST(SetCheckerTest, ValidHistory) {
  History h = Parse(Op(0, "add", "1", "ok", "1") + Op(1, "add", "2", "info", "2") +
                    Op(0, "read", "null", "ok", "[1,2]"));
  CheckResult r = CheckSet(h);
  EXPECT_EQ(r.valid, Validity::kValid) << r.json.dump();
}

TEST(SetCheckerTest, LostUnexpectedDuplicated) {
  CheckResult lost =
      CheckSet(Parse(Op(0, "add", "1", "ok", "1") + Op(0, "read", "null", "ok", "[]")));
  EXPECT_EQ(lost.valid, Validity::kInvalid);
  EXPECT_EQ(lost.json["lost_count"], 1);
  CheckResult unexpected =
      CheckSet(Parse(Op(0, "add", "1", "fail", "1") + Op(0, "read", "null", "ok", "[1]")));
  EXPECT_EQ(unexpected.valid, Validity::kInvalid);
  EXPECT_EQ(unexpected.json["unexpected_count"], 1);
  CheckResult dup =
      CheckSet(Parse(Op(0, "add", "1", "ok", "1") + Op(0, "read", "null", "ok", "[1,1]")));
  EXPECT_EQ(dup.valid, Validity::kInvalid);
  EXPECT_EQ(dup.json["duplicated_count"], 1);
  EXPECT_TRUE(dup.json.contains("explanation"));
  // Seen once, then gone for good: lost too.
  CheckResult gone =
      CheckSet(Parse(Op(0, "add", "5", "info", "5") + Op(0, "read", "null", "ok", "[5]") +
                     Op(0, "read", "null", "ok", "[]")));
  EXPECT_EQ(gone.valid, Validity::kInvalid);
  EXPECT_EQ(CheckSet(Parse(Op(0, "add", "1", "ok", "1"))).valid, Validity::kUnknown);
}

// A read that begins after an add was acknowledged and lacks the element, while a later read has
// it, is a stale read: invalid (it used to be only counted), with the first such read's time.
TEST(SetCheckerTest, StaleReadIsInvalidAndTimed) {
  auto ev = [](int p, const std::string& type, const std::string& f, const std::string& value,
               int64_t ms) {
    return "{\"process\":" + std::to_string(p) + ",\"type\":\"" + type + "\",\"f\":\"" + f +
           "\",\"value\":" + value + ",\"time\":" + std::to_string(ms * 1'000'000) + "}\n";
  };
  std::string h = ev(0, "invoke", "add", "1", 10) + ev(0, "ok", "add", "1", 20) +
                  ev(1, "invoke", "read", "null", 30) + ev(1, "ok", "read", "[]", 40) +
                  ev(1, "invoke", "read", "null", 50) + ev(1, "ok", "read", "[1]", 60);
  CheckResult stale = CheckSet(Parse(h));
  EXPECT_EQ(stale.valid, Validity::kInvalid) << stale.json.dump();
  EXPECT_EQ(stale.json["stale_count"], 1);
  EXPECT_EQ(stale.json["lost_count"], 0);
  EXPECT_NEAR(stale.json["first_anomaly_s"].get<double>(), 0.030, 1e-9);
  EXPECT_NE(stale.json["explanation"].get<std::string>().find("stale"), std::string::npos);
  // A read concurrent with the add may miss it: not stale.
  std::string concurrent = ev(0, "invoke", "add", "1", 10) + ev(1, "invoke", "read", "null", 15) +
                           ev(0, "ok", "add", "1", 20) + ev(1, "ok", "read", "[]", 40) +
                           ev(1, "invoke", "read", "null", 50) + ev(1, "ok", "read", "[1]", 60);
  EXPECT_EQ(CheckSet(Parse(concurrent)).valid, Validity::kValid);
  // Known from a read, not an ack: an indeterminate add seen, then missed, then seen again.
  std::string seen = ev(0, "invoke", "add", "5", 10) + ev(0, "info", "add", "5", 20) +
                     ev(1, "invoke", "read", "null", 30) + ev(1, "ok", "read", "[5]", 40) +
                     ev(1, "invoke", "read", "null", 50) + ev(1, "ok", "read", "[]", 60) +
                     ev(1, "invoke", "read", "null", 70) + ev(1, "ok", "read", "[5]", 80);
  CheckResult r = CheckSet(Parse(seen));
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.json.dump();
  EXPECT_NEAR(r.json["first_anomaly_s"].get<double>(), 0.050, 1e-9);
}

TEST(CounterCheckerTest, BoundsFromAdds) {
  std::string base = Op(0, "add", "2", "ok", "2") + Op(1, "add", "3", "info", "3") +
                     Op(0, "add", "-1", "ok", "-1");
  EXPECT_EQ(CheckCounter(Parse(base + Op(0, "read", "null", "ok", "1"))).valid, Validity::kValid);
  EXPECT_EQ(CheckCounter(Parse(base + Op(0, "read", "null", "ok", "4"))).valid, Validity::kValid);
  CheckResult high = CheckCounter(Parse(base + Op(0, "read", "null", "ok", "5")));
  EXPECT_EQ(high.valid, Validity::kInvalid);
  EXPECT_EQ(high.json["details"]["reads"][0]["upper"], 4);
  EXPECT_EQ(CheckCounter(Parse(base + Op(0, "read", "null", "ok", "0"))).valid, Validity::kInvalid);
  // A concurrent add may or may not be counted.
  std::string conc =
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":5}\n"
      "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n"
      "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":5}\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":5}\n";
  EXPECT_EQ(CheckCounter(Parse(conc)).valid, Validity::kValid);
}

TEST(BankCheckerTest, TotalsAndNegativeBalances) {
  std::string ok = Op(0, "transfer", R"({"from":"a","to":"b","amount":3})", "ok",
                      R"({"from":"a","to":"b","amount":3})") +
                   Op(1, "read", "null", "ok", R"({"a":7,"b":13})");
  EXPECT_EQ(CheckBank(Parse(ok), 20).valid, Validity::kValid);
  EXPECT_EQ(CheckBank(Parse(ok), -1).valid, Validity::kValid);
  CheckResult wrong = CheckBank(Parse(ok), 21);
  EXPECT_EQ(wrong.valid, Validity::kInvalid);
  EXPECT_NE(wrong.json["explanation"].get<std::string>().find("total 20"), std::string::npos);
  EXPECT_EQ(CheckBank(Parse(Op(1, "read", "null", "ok", R"({"a":-1,"b":21})")), 20).valid,
            Validity::kInvalid);
  EXPECT_EQ(CheckBank(Parse(ok + Op(1, "read", "null", "ok", R"({"a":6,"b":13})")), -1).valid,
            Validity::kInvalid);
  EXPECT_EQ(CheckBank(Parse(ok + Op(1, "read", "null", "ok", R"({"a":7,"c":13})")), -1).valid,
            Validity::kInvalid);
}

TEST(LockCheckerTest, MutualExclusionAndFencingTokens) {
  std::string good =
      Op(0, "acquire", "null", "ok", "1", "l") + Op(0, "release", "1", "ok", "true", "l") +
      Op(1, "acquire", "null", "ok", "2", "l") + Op(1, "release", "2", "ok", "true", "l");
  auto r = CheckLock(Parse(good), Budget{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid) << r->json.dump();
  // Two holders at once.
  auto both = CheckLock(
      Parse(Op(0, "acquire", "null", "ok", "1", "l") + Op(1, "acquire", "null", "ok", "2", "l")),
      Budget{});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->valid, Validity::kInvalid);
  // Tokens going backwards.
  std::string back = Op(0, "acquire", "null", "ok", "5", "l") +
                     Op(0, "release", "5", "ok", "true", "l") +
                     Op(1, "acquire", "null", "ok", "4", "l");
  auto b = CheckLock(Parse(back), Budget{});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->valid, Validity::kInvalid);
  EXPECT_EQ(b->json["token_problems"], 1);
  // A repeated token.
  std::string dup = Op(0, "acquire", "null", "ok", "5", "l") +
                    Op(0, "release", "5", "ok", "true", "l") +
                    Op(1, "acquire", "null", "ok", "5", "l");
  EXPECT_EQ(CheckLock(Parse(dup), Budget{})->valid, Validity::kInvalid);
}

class RaftInvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sb-raft-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& node, const std::string& text) {
    std::filesystem::create_directories(dir_ / "nodes" / node);
    std::ofstream(dir_ / "nodes" / node / "events.jsonl") << text;
  }
  Validity Check() {
    auto r = CheckRaftInvariantsDir(dir_.string());
    EXPECT_TRUE(r.ok()) << r.status();
    last_ = r.ok() ? r->json : nlohmann::json();
    return r.ok() ? r->valid : Validity::kUnknown;
  }
  std::filesystem::path dir_;
  nlohmann::json last_;
};

const char* kN1 =
    R"({"t":1,"node":"n1","event":"start","term":0,"commit":0,"applied":0}
{"t":2,"node":"n1","event":"role","role":"leader","term":2,"leader":"n1"}
{"t":3,"node":"n1","event":"commit","index":1,"term":2}
{"t":4,"node":"n1","event":"apply","index":1,"term":2,"hash":"00000000000000aa"}
)";

TEST_F(RaftInvariantsTest, ValidLogs) {
  Write("n1", kN1);
  Write("n2", R"({"t":1,"node":"n2","event":"start","term":0,"commit":0,"applied":0}
{"t":2,"node":"n2","event":"role","role":"follower","term":2,"leader":"n1"}
{"t":3,"node":"n2","event":"commit","index":1,"term":2}
{"t":4,"node":"n2","event":"apply","index":1,"term":2,"hash":"00000000000000aa"}
{"t":5,"node":"n2","event":"start","term":2,"commit":0,"applied":0}
{"t":6,"node":"n2","event":"commit","index":1,"term":2}
)");
  EXPECT_EQ(Check(), Validity::kValid) << last_.dump();
  EXPECT_EQ(last_["nodes"], 2);
}

TEST_F(RaftInvariantsTest, TwoLeadersInOneTerm) {
  Write("n1", kN1);
  Write("n2", R"({"t":2,"node":"n2","event":"role","role":"leader","term":2,"leader":"n2"})");
  EXPECT_EQ(Check(), Validity::kInvalid);
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "two-leaders");
}

TEST_F(RaftInvariantsTest, DifferentEntriesAppliedAtOneIndex) {
  Write("n1", kN1);
  Write("n2",
        R"({"t":4,"node":"n2","event":"apply","index":1,"term":2,"hash":"00000000000000bb"})");
  EXPECT_EQ(Check(), Validity::kInvalid);
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "apply-mismatch");
  EXPECT_FALSE(last_.contains("first_violation_s"));  // no origin given
  // With the run's origin the violation says when it happened: the second apply, t = 4 ns.
  auto r = CheckRaftInvariantsDir(dir_.string(), 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_DOUBLE_EQ(r->json["first_violation_s"].get<double>(), 3e-9);
  EXPECT_DOUBLE_EQ(r->json["details"]["violations"][0]["t_s"].get<double>(), 3e-9);
}

// A divergence exists from the later of its two events, whichever file is read first: n2's
// events come earlier in time than n1's but are read after them.
TEST_F(RaftInvariantsTest, AViolationIsDatedByTheLaterOfItsTwoEvents) {
  Write("n1", R"({"t":10,"node":"n1","event":"role","role":"leader","term":2,"leader":"n1"}
{"t":40,"node":"n1","event":"apply","index":1,"term":2,"hash":"00000000000000aa"}
)");
  Write("n2", R"({"t":5,"node":"n2","event":"role","role":"leader","term":2,"leader":"n2"}
{"t":20,"node":"n2","event":"apply","index":1,"term":2,"hash":"00000000000000bb"}
)");
  auto r = CheckRaftInvariantsDir(dir_.string(), 1);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->valid, Validity::kInvalid);
  const auto& v = r->json["details"]["violations"];
  ASSERT_EQ(v.size(), 2u) << r->json.dump();
  EXPECT_EQ(v[0]["kind"], "two-leaders");
  EXPECT_DOUBLE_EQ(v[0]["t_s"].get<double>(), 9e-9);  // n1's election, not n2's at 5
  EXPECT_EQ(v[1]["kind"], "apply-mismatch");
  EXPECT_DOUBLE_EQ(v[1]["t_s"].get<double>(), 39e-9);  // n1's apply, not n2's at 20
  EXPECT_DOUBLE_EQ(r->json["first_violation_s"].get<double>(), 9e-9);
}

TEST_F(RaftInvariantsTest, CommitIndexDecreases) {
  Write("n1", std::string(kN1) + R"({"t":5,"node":"n1","event":"commit","index":0,"term":2})");
  EXPECT_EQ(Check(), Validity::kInvalid);
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "commit-decreased");
}

// Issue 26: snapshots. A leader n1 applies 1..3 (a membership change at 2) and snapshots at 3;
// a follower n2 restores that snapshot from the leader, then applies 4; n3 restarts from its own
// snapshot at 3 and applies 4.
const char* kSnapN1 =
    R"({"t":1,"node":"n1","event":"start","term":0,"commit":0,"applied":0}
{"t":2,"node":"n1","event":"apply","index":1,"term":2,"hash":"00000000000000a1"}
{"t":3,"node":"n1","event":"membership","index":1,"members":["n1","n2","n3"]}
{"t":4,"node":"n1","event":"apply","index":2,"term":2,"hash":"00000000000000a2"}
{"t":5,"node":"n1","event":"membership","index":2,"members":["n1","n2","n3","n4"]}
{"t":6,"node":"n1","event":"apply","index":3,"term":2,"hash":"00000000000000a3"}
{"t":7,"node":"n1","event":"snapshot","index":3,"term":2,"state_hash":"5555000000000003","members":["n1","n2","n3","n4"]}
{"t":8,"node":"n1","event":"apply","index":4,"term":2,"hash":"00000000000000a4"}
)";
const char* kSnapN2 =
    R"({"t":1,"node":"n2","event":"start","term":0,"commit":0,"applied":0}
{"t":9,"node":"n2","event":"restore","index":3,"term":2,"source":"leader","state_hash":"5555000000000003","members":["n1","n2","n3","n4"]}
{"t":10,"node":"n2","event":"apply","index":4,"term":2,"hash":"00000000000000a4"}
)";
const char* kSnapN3 =
    R"({"t":1,"node":"n3","event":"start","term":0,"commit":0,"applied":0}
{"t":2,"node":"n3","event":"apply","index":1,"term":2,"hash":"00000000000000a1"}
{"t":3,"node":"n3","event":"apply","index":2,"term":2,"hash":"00000000000000a2"}
{"t":4,"node":"n3","event":"apply","index":3,"term":2,"hash":"00000000000000a3"}
{"t":5,"node":"n3","event":"snapshot","index":3,"term":2,"state_hash":"5555000000000003","members":["n4","n3","n2","n1"]}
{"t":6,"node":"n3","event":"start","term":2,"commit":3,"applied":3}
{"t":7,"node":"n3","event":"restore","index":3,"term":2,"source":"disk","state_hash":"5555000000000003","members":["n1","n2","n3","n4"]}
{"t":8,"node":"n3","event":"apply","index":4,"term":2,"hash":"00000000000000a4"}
)";

TEST_F(RaftInvariantsTest, SnapshotsRestoresAndTheirStateAgree) {
  Write("n1", kSnapN1);
  Write("n2", kSnapN2);
  Write("n3", kSnapN3);
  EXPECT_EQ(Check(), Validity::kValid) << last_.dump();
  EXPECT_EQ(last_["snapshots"], 2);
  EXPECT_EQ(last_["installs"], 1);
  EXPECT_EQ(last_["restores_from_disk"], 1);
}

// (a) The follower installed a snapshot whose state is not the leader's at that index.
TEST_F(RaftInvariantsTest, RestoredStateDiffersFromTheSnapshotAtThatIndex) {
  Write("n1", kSnapN1);
  std::string n2 = kSnapN2;
  n2.replace(n2.find("5555000000000003"), 16, "6666000000000003");
  Write("n2", n2);
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["violations"], 1);
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "snapshot-state-mismatch");
  EXPECT_EQ(last_["details"]["violations"][0]["second"]["node"], "n2");
}

// (a) A restart restored a snapshot from disk that is not the one the node took.
TEST_F(RaftInvariantsTest, RestoredFromDiskDiffersFromTheSnapshotTaken) {
  std::string n3 = kSnapN3;
  n3.replace(n3.rfind("5555000000000003"), 16, "7777000000000003");
  Write("n3", n3);
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "snapshot-state-mismatch");
}

// (a) A snapshot said to be at index 3 of term 5 where the entry applied there is of term 2.
TEST_F(RaftInvariantsTest, SnapshotTermDiffersFromTheEntryAppliedThere) {
  Write("n1", kSnapN1);
  std::string n2 = kSnapN2;
  n2.replace(n2.find(R"("index":3,"term":2)"), 18, R"("index":3,"term":5)");
  Write("n2", n2);
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "snapshot-term-mismatch");
}

// (b) After restoring at 3, applying 3 again (or anything at or below it) is a double apply.
TEST_F(RaftInvariantsTest, ApplyAtOrBelowARestoreIsRepeated) {
  Write("n1", kSnapN1);
  Write("n2",
        std::string(kSnapN2) +
            R"({"t":11,"node":"n2","event":"apply","index":3,"term":2,"hash":"00000000000000a3"}
)");
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "apply-repeated");
  EXPECT_NE(last_["explanation"].get<std::string>().find("restore (from leader) at index 3"),
            std::string::npos)
      << last_["explanation"];
  // The same apply right after a restart (a new lifetime, nothing restored) is a replay: fine.
  Write("n2", std::string(kSnapN2) +
                  R"({"t":11,"node":"n2","event":"start","term":2,"commit":4,"applied":0}
{"t":12,"node":"n2","event":"apply","index":3,"term":2,"hash":"00000000000000a3"}
)");
  EXPECT_EQ(Check(), Validity::kValid) << last_.dump();
}

// (b) Within one lifetime, an entry applied twice, and a restore below what was applied.
TEST_F(RaftInvariantsTest, ApplyTwiceAndRestoreBelowAppliedAreViolations) {
  Write("n1",
        std::string(kSnapN1) +
            R"({"t":9,"node":"n1","event":"apply","index":4,"term":2,"hash":"00000000000000a4"}
)");
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "apply-repeated");
  std::filesystem::remove_all(dir_);
  Write(
      "n1",
      std::string(kSnapN1) +
          R"({"t":9,"node":"n1","event":"restore","index":3,"term":2,"source":"leader","state_hash":"5555000000000003","members":["n1","n2","n3","n4"]}
)");
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "restore-rewound");
}

// (c) The configuration a restored snapshot holds is not the log's at its index (it misses the
// member added at index 2).
TEST_F(RaftInvariantsTest, RestoredMembershipDiffersFromTheLog) {
  Write("n1", kSnapN1);
  std::string n2 = kSnapN2;
  n2.replace(n2.find(R"(["n1","n2","n3","n4"])"), 21, R"(["n1","n2","n3"])");
  Write("n2", n2);
  EXPECT_EQ(Check(), Validity::kInvalid) << last_.dump();
  EXPECT_EQ(last_["details"]["violations"][0]["kind"], "snapshot-membership-mismatch");
  EXPECT_EQ(last_["details"]["violations"][0]["log_index"], 2);
}

TEST_F(RaftInvariantsTest, NoLogsIsUnknown) { EXPECT_EQ(Check(), Validity::kUnknown); }

// A node's role event at `ms` milliseconds into the run.
std::string Role(const std::string& node, const std::string& role, int64_t ms, int64_t term) {
  return R"({"t":)" + std::to_string(1'000'000'000'000 + ms * 1'000'000) + R"(,"node":")" + node +
         R"(","event":"role","role":")" + role + R"(","term":)" + std::to_string(term) + "}\n";
}

TEST_F(RaftInvariantsTest, TermChurnCountsNewTermsPerWindow) {
  // Healthy: an election every 2 s (one new term each) never crowds a 5 s window.
  std::string calm, storm;
  for (int i = 1; i <= 10; ++i) calm += Role("n1", "leader", i * 2000, i);
  // A storm: n3 bumps its term every 150 ms and deposes the leader each time.
  for (int i = 1; i <= 40; ++i) {
    storm += Role("n3", "candidate", 1000 + i * 150, i * 2);
    storm += Role("n3", "follower", 1000 + i * 150 + 20, i * 2 + 1);
  }
  TermChurnOptions o;
  o.wall_origin_ns = 1'000'000'000'000;
  Write("n1", calm);
  auto ok = CheckTermChurnDir(dir_.string(), o);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->valid, Validity::kValid) << ok->json.dump();
  EXPECT_EQ(ok->json["new_terms"], 9);  // the first event's term is where we start
  EXPECT_EQ(ok->json["per_node"]["n1"]["leaderships"], 10);
  Write("n3", storm);
  auto bad = CheckTermChurnDir(dir_.string(), o);
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->valid, Validity::kInvalid) << bad->json.dump();
  EXPECT_EQ(bad->json["per_node"]["n3"]["candidacies"], 40);
  // Eleven new terms (2..12) are done by the 6th candidacy (+ its follower line): 1.9 s.
  EXPECT_NEAR(bad->json["first_anomaly_s"].get<double>(), 1.92, 0.001);
  // The same storm spread over 40 s is not a storm.
  std::string slow;
  for (int i = 1; i <= 40; ++i) slow += Role("n3", "candidate", i * 1000, i);
  std::filesystem::remove_all(dir_);
  Write("n3", slow);
  EXPECT_EQ(CheckTermChurnDir(dir_.string(), o)->valid, Validity::kValid);
  std::filesystem::remove_all(dir_);
  EXPECT_EQ(CheckTermChurnDir(dir_.string(), o)->valid, Validity::kUnknown);
}

std::string Timed(int p, const std::string& type, int64_t t0, int64_t t1) {
  return "{\"process\":" + std::to_string(p) +
         ",\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":" + std::to_string(t0) +
         "}\n{\"process\":" + std::to_string(p) + ",\"type\":\"" + type +
         "\",\"f\":\"read\",\"value\":null,\"time\":" + std::to_string(t1) + "}\n";
}

TEST(AvailabilityTest, RecoveryAfterTheLastHeal) {
  const int64_t s = 1'000'000'000;
  std::vector<FaultEvent> faults = {{2 * s, "start", 1, "partition"},
                                    {5 * s, "end", 1, "partition"}};
  AvailabilityOptions o;
  o.recovery_bound_ns = 2 * s;
  History good = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(0, "info", 3 * s, 4 * s) +
                       Timed(1, "ok", 6 * s, 6 * s + 10));
  CheckResult r = CheckAvailability(good, faults, o);
  EXPECT_EQ(r.valid, Validity::kValid) << r.json.dump();
  EXPECT_DOUBLE_EQ(r.json["recovery_s"].get<double>(), 1.00000001);
  History slow = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "fail", 6 * s, 6 * s + 10) +
                       Timed(1, "ok", 9 * s, 9 * s + 10));
  EXPECT_EQ(CheckAvailability(slow, faults, o).valid, Validity::kInvalid);
  // Asked for longer than the bound after the heal, never an ok.
  History never = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "fail", 6 * s, 6 * s + 10) +
                        Timed(1, "fail", 8 * s, 8 * s + 10));
  r = CheckAvailability(never, faults, o);
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.json.dump();
  EXPECT_NE(r.json["explanation"].get<std::string>().find("asked from 6.000 s to 8.000 s"),
            std::string::npos)
      << r.json.dump();
  // The history ends 1 s after the first ask with no ok: that says nothing about a 2 s bound
  // (was invalid: nightly-lock in simulation, seed 8 — a heal 2 s before the end, every lock
  // held by a crashed holder for its 10 s TTL). Not judged, and said so.
  History ends = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "fail", 6 * s, 6 * s + 10) +
                       Timed(2, "fail", 6 * s + 500, 7 * s));
  r = CheckAvailability(ends, faults, o);
  EXPECT_EQ(r.valid, Validity::kValid) << r.json.dump();
  EXPECT_NE(r.json.value("recovery_not_judged", "").find("within the bound"), std::string::npos)
      << r.json.dump();
  o.min_ok_share = 0.9;
  EXPECT_EQ(CheckAvailability(good, faults, o).valid, Validity::kInvalid);
  History untimed = Parse(Op(0, "read", "null", "ok", "1"));
  EXPECT_EQ(CheckAvailability(untimed, faults, o).valid, Validity::kUnknown);
}

// Was a false alarm on the correct node (issue 25): under load the last heal came after the
// workload had ended, and the final reads began 13 s later; nobody asked in between, so the gap
// said nothing about the system. Recovery is judged from the first ask after the heal.
TEST(AvailabilityTest, RecoveryIsJudgedFromTheFirstAskAfterTheHeal) {
  const int64_t s = 1'000'000'000;
  std::vector<FaultEvent> faults = {{2 * s, "start", 1, "bridge"}, {5 * s, "end", 1, "bridge"}};
  AvailabilityOptions o;
  o.recovery_bound_ns = 2 * s;
  // Nothing in flight at the heal; the next operation 4 s later succeeds at once.
  History late = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "ok", 9 * s, 9 * s + 10));
  CheckResult r = CheckAvailability(late, faults, o);
  EXPECT_EQ(r.valid, Validity::kValid) << r.json.dump();
  EXPECT_DOUBLE_EQ(r.json["first_ask_after_heal_s"].get<double>(), 9.0);
  EXPECT_DOUBLE_EQ(r.json["recovery_s"].get<double>(), 4.00000001);
  EXPECT_DOUBLE_EQ(r.json["unavailable_after_ask_s"].get<double>(), 0.00000001);
  // An operation in flight across the heal asks from the heal on: 3 s to the first ok.
  History waiting = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "fail", 4 * s, 6 * s) +
                          Timed(1, "ok", 8 * s, 8 * s + 10));
  r = CheckAvailability(waiting, faults, o);
  EXPECT_EQ(r.valid, Validity::kInvalid) << r.json.dump();
  EXPECT_DOUBLE_EQ(r.json["first_ask_after_heal_s"].get<double>(), 5.0);
  EXPECT_NE(r.json["explanation"].get<std::string>().find("asked at 5.000 s"), std::string::npos)
      << r.json.dump();
  // Asked late, and still slow after asking: 3 s from the ask.
  History slow = Parse(Timed(0, "ok", 1 * s, 1 * s + 10) + Timed(1, "fail", 9 * s, 9 * s + 10) +
                       Timed(1, "ok", 12 * s, 12 * s + 10));
  EXPECT_EQ(CheckAvailability(slow, faults, o).valid, Validity::kInvalid);
}

TEST(RunCheckerTest, DispatchesByName) {
  History h = Parse(Op(0, "add", "1", "ok", "1") + Op(0, "read", "null", "ok", "[1]"));
  CheckerInputs in;
  in.history = &h;
  auto r = RunChecker("set", in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->valid, Validity::kValid);
  EXPECT_FALSE(RunChecker("no-such-checker", in).ok());
  in.model = "set";
  EXPECT_EQ(RunChecker("linearizable", in)->valid, Validity::kValid);
}

// Was: valid for set, counter, bank and lock. A history with no operations proves nothing:
// every checker that judges operations' meaning says unknown, and why.
TEST(RunCheckerTest, AnEmptyHistoryIsUnknownForEveryCheckerThatJudgesOperations) {
  History empty;
  for (const CheckerKind& k : CheckerKinds()) {
    if (k.models.empty()) continue;
    SCOPED_TRACE(k.name);
    CheckerInputs in;
    in.history = &empty;
    in.model = k.models[0];
    in.bank_total = 100;
    auto r = RunChecker(k.name, in);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->valid, Validity::kUnknown);
    EXPECT_NE(r->json.value("explanation", "").find("proves nothing"), std::string::npos)
        << r->json.dump();
  }
}

// stats and perf moved here from the runner; their figures are what results.json always had.
TEST(StatsTest, CountsByOperationAndOutcome) {
  HistoryBuilder b;
  const std::string k = "a";
  ASSERT_TRUE(b.Invoke(0, "write", &k, "1").ok());
  ASSERT_TRUE(b.Complete(0, Outcome::kOk, "write", "1").ok());
  ASSERT_TRUE(b.Invoke(1, "read", &k, "null").ok());
  ASSERT_TRUE(b.Complete(1, Outcome::kUnknown, "read", "null").ok());
  ASSERT_TRUE(b.Invoke(2, "read", &k, "null").ok());  // never completes: info
  History h = b.Finish();
  CheckResult r = CheckStats(&h);
  EXPECT_EQ(r.valid, Validity::kValid);
  EXPECT_EQ(r.json["by_f"]["write"]["ok"], 1);
  EXPECT_EQ(r.json["by_f"]["read"]["info"], 2);
  EXPECT_TRUE(CheckStats(nullptr).json["by_f"].empty());
  auto by_name = RunChecker("stats", {.history = &h});
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->json, r.json);
}

TEST(PerfTest, ThroughputAndQuantilesOfOkLatencies) {
  std::vector<int64_t> lat;
  for (int i = 1; i <= 100; ++i) lat.push_back(i * 1'000'000);  // 1..100 ms
  CheckResult r = CheckPerf(lat, 10'000'000'000);
  EXPECT_EQ(r.json["ok_ops"], 100);
  EXPECT_DOUBLE_EQ(r.json["ops_per_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(r.json["latency_ms"]["p50"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(r.json["latency_ms"]["max"].get<double>(), 100.0);
  EXPECT_EQ(CheckPerf({}, 0).json["latency_ms"]["p99"], 0.0);
}

TEST(CheckerRegistryTest, EveryRegisteredCheckerRunsByName) {
  HistoryBuilder b;
  History h = b.Finish();
  for (const auto& name : CheckerNames()) {
    auto r = RunChecker(name, {.history = &h});
    EXPECT_TRUE(r.ok() || r.status().message().find("unknown checker") == std::string::npos)
        << name << ": " << r.status();
  }
  auto bad = RunChecker("nope", {.history = &h});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("term-churn"), std::string::npos);
}

}  // namespace
}  // namespace splitbrain::checker

namespace splitbrain::checker {
namespace {

// monotonic-reads: a process that read 2 (written after 1 was acknowledged) and then reads 1
// went back; another process's old read, concurrent writes, and a process's own write read
// stale (read-your-writes, counted only) are not judged.
TEST(MonotonicReadsTest, WentBackIsInvalidOthersAreNot) {
  const std::string writes =
      Op(0, "write", "1", "ok", "null", "r0") + Op(0, "write", "2", "ok", "null", "r0");
  CheckResult ok = CheckMonotonicReads(Parse(
      writes + Op(1, "read", "null", "ok", "1", "r0") + Op(2, "read", "null", "ok", "2", "r0") +
      Op(1, "read", "null", "ok", "2", "r0") + Op(2, "read", "null", "ok", "2", "r0")));
  EXPECT_EQ(ok.valid, Validity::kValid) << ok.json.dump();
  EXPECT_EQ(ok.json["reads"], 4);
  CheckResult back = CheckMonotonicReads(Parse(writes + Op(1, "read", "null", "ok", "2", "r0") +
                                               Op(1, "read", "null", "ok", "1", "r0")));
  EXPECT_EQ(back.valid, Validity::kInvalid) << back.json.dump();
  EXPECT_EQ(back.json["went_back"], 1);
  // Back to the initial value is back too; on another key it is not.
  CheckResult to_null = CheckMonotonicReads(Parse(writes + Op(1, "read", "null", "ok", "1", "r0") +
                                                  Op(1, "read", "null", "ok", "null", "r1") +
                                                  Op(1, "read", "null", "ok", "null", "r0")));
  EXPECT_EQ(to_null.json["went_back"], 1) << to_null.json.dump();
  // A cas writes its second element.
  CheckResult cas = CheckMonotonicReads(Parse(writes + Op(0, "cas", "[2,3]", "ok", "null", "r0") +
                                              Op(1, "read", "null", "ok", "3", "r0") +
                                              Op(1, "read", "null", "ok", "2", "r0")));
  EXPECT_EQ(cas.json["went_back"], 1) << cas.json.dump();
  // Its own write read stale: read-your-writes, counted, not judged.
  CheckResult ryw = CheckMonotonicReads(Parse(Op(1, "write", "1", "ok", "null", "r0") +
                                              Op(0, "write", "2", "ok", "null", "r0") +
                                              Op(0, "read", "null", "ok", "1", "r0")));
  EXPECT_EQ(ryw.valid, Validity::kValid) << ryw.json.dump();
  EXPECT_EQ(ryw.json["read_your_writes_misses"], 1);
  // A value nobody wrote.
  EXPECT_EQ(CheckMonotonicReads(Parse(writes + Op(1, "read", "null", "ok", "9", "r0"))).valid,
            Validity::kInvalid);
  // An unacknowledged write is ordered after nothing: reading it and then 2 is not back.
  CheckResult info = CheckMonotonicReads(
      Parse(Op(0, "write", "1", "info", "null", "r0") + Op(1, "write", "2", "ok", "null", "r0") +
            Op(2, "read", "null", "ok", "2", "r0") + Op(2, "read", "null", "ok", "1", "r0")));
  EXPECT_EQ(info.valid, Validity::kValid) << info.json.dump();
  EXPECT_EQ(CheckMonotonicReads(Parse(writes)).valid, Validity::kUnknown);
}

}  // namespace
}  // namespace splitbrain::checker

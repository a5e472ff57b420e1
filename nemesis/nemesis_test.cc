#include "nemesis/nemesis.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <set>
#include <sstream>

namespace splitbrain::nemesis {
namespace {

// Records every call, and fails the ones it is told to.
class RecordingInjector : public FaultInjector {
 public:
  ClusterView View() override { return {{"n1", "n2", "n3"}, leader, {}}; }
  Status Kill(const NodeId& n) override { return Log("kill " + n); }
  Status Restart(const NodeId& n) override { return Log("restart " + n); }
  Status Pause(const NodeId& n) override { return Log("pause " + n); }
  Status Resume(const NodeId& n) override { return Log("resume " + n); }
  Status SetNetwork(const std::vector<NetRule>& rules) override {
    if (unsupported_network && !rules.empty()) return Status::Unsupported("no nftables");
    return Log("network " + std::to_string(rules.size()));
  }
  Status SetDelays(const std::vector<DelayRule>& rules) override {
    delay_rules = rules;
    return Log("delay " + std::to_string(rules.size()));
  }
  std::string DelayMechanism() override { return "fake-queue"; }
  Status Throttle(const NodeId& n, double share) override {
    return Log("throttle " + n + " " + std::to_string(share));
  }
  Status Unthrottle(const NodeId& n) override { return Log("unthrottle " + n); }
  std::string ThrottleMechanism() override { return "fake-cgroup"; }
  Status SetClockOffset(const NodeId& n, int64_t ns) override {
    return Log("clock " + n + " " + std::to_string(ns));
  }
  Status RemoveMember(const NodeId& n) override { return Log("remove " + n); }
  Status AddMember(const NodeId& n) override { return Log("add " + n); }
  Result<int64_t> Snapshot(const NodeId& n) override {
    calls.push_back("snapshot " + n);
    if (snapshot_fails.count(n)) return Status::Unavailable(n + " did not answer");
    return int64_t{100} + static_cast<int64_t>(calls.size());
  }
  Result<nlohmann::json> DiskCommand(const NodeId& n, const std::string& command) override {
    calls.push_back("disk " + n + " " + command);
    if (no_disk) return Status::Unsupported("no splitbrain-fs");
    if (command.rfind("lose", 0) == 0)
      return nlohmann::json{{"ok", true}, {"lost", {{"files", nlohmann::json::array()}}}};
    return nlohmann::json{{"ok", true}};
  }
  std::string DiskMechanism() override { return "fake-fs"; }
  Status Log(std::string s) {
    calls.push_back(std::move(s));
    return Status::Ok();
  }
  bool no_disk = false;
  std::optional<NodeId> leader = "n2";
  bool unsupported_network = false;
  std::set<NodeId> snapshot_fails;
  std::vector<std::string> calls;
  std::vector<DelayRule> delay_rules;
};

TEST(NemesisTest, KillLeaderThenEndRestartsIt) {
  RecordingInjector inj;
  std::ostringstream log;
  int64_t t = 0;
  Nemesis n(
      &inj, [&] { return t; }, &log, Rng(1));
  auto id = n.Start({.kind = "kill-leader"});
  ASSERT_TRUE(id.ok());
  t = 5;
  ASSERT_TRUE(n.End(*id).ok());
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"kill n2", "restart n2"}));
  std::istringstream lines(log.str());
  std::string a, b;
  std::getline(lines, a);
  std::getline(lines, b);
  auto ja = nlohmann::json::parse(a), jb = nlohmann::json::parse(b);
  EXPECT_EQ(ja["phase"], "start");
  EXPECT_EQ(ja["targets"], nlohmann::json::parse(R"(["n2"])"));
  EXPECT_EQ(jb["phase"], "end");
  EXPECT_EQ(jb["time"], 5);
}

std::vector<nlohmann::json> Lines(const std::string& log) {
  std::vector<nlohmann::json> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(NemesisTest, LoseUnsyncedKillsThenRollsBackThenRestartsAtTheEnd) {
  RecordingInjector inj;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto id = n.Start({.kind = "lose-unsynced", .targets = {"n3"}, .torn = true});
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(inj.calls.size(), 2u);
  EXPECT_EQ(inj.calls[0], "kill n3");  // down before its disk changes
  EXPECT_EQ(inj.calls[1].rfind("disk n3 lose torn ", 0), 0u) << inj.calls[1];
  ASSERT_TRUE(n.End(*id).ok());
  EXPECT_EQ(inj.calls.back(), "restart n3");
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["phase"], "start");  // recorded before it is applied
  EXPECT_EQ(lines[0]["detail"]["mechanism"], "fake-fs");
  EXPECT_EQ(lines[0]["detail"]["disk_command"],
            inj.calls[1].substr(std::string("disk n3 ").size()));
  EXPECT_EQ(lines[0]["detail"]["torn"], true);
  EXPECT_TRUE(lines[1]["detail"]["disk"]["n3"].contains("files"));  // what it lost
}

TEST(NemesisTest, DiskModesAreSetOnTheTargetsAndHealedAtTheEnd) {
  RecordingInjector inj;
  Nemesis n(
      &inj, [] { return 0; }, nullptr, Rng(1));
  auto e = n.Start({.kind = "disk-error", .targets = {"n1"}, .ops = "fsync", .share = 0.5});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(inj.calls.back().rfind("disk n1 error fsync 0.500000 ", 0), 0u) << inj.calls.back();
  auto f = n.Start({.kind = "disk-full", .targets = {"n2"}});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(inj.calls.back(), "disk n2 full");
  auto s = n.Start({.kind = "slow-disk", .targets = {"n3"}, .disk_delay_ns = 5'000'000});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(inj.calls.back(), "disk n3 slow 5000000 0");
  ASSERT_TRUE(n.HealAll().ok());
  std::multiset<std::string> heals;
  for (const auto& c : inj.calls) {
    if (c.find(" heal") != std::string::npos) heals.insert(c);
  }
  EXPECT_EQ(heals, (std::multiset<std::string>{"disk n1 heal", "disk n2 heal", "disk n3 heal"}));
  // Each target is restarted after its disk heals (a node stopped by its disk comes back).
  for (const char* n : {"n1", "n2", "n3"}) {
    auto heal = std::find(inj.calls.begin(), inj.calls.end(), std::string("disk ") + n + " heal");
    ASSERT_NE(heal, inj.calls.end());
    EXPECT_EQ(*std::next(heal), std::string("restart ") + n);
  }
}

TEST(NemesisTest, ADiskModeEndingLeavesANodeAnotherFaultHoldsDown) {
  RecordingInjector inj;
  Nemesis n(
      &inj, [] { return 0; }, nullptr, Rng(1));
  auto full = n.Start({.kind = "disk-full", .targets = {"n1"}});
  ASSERT_TRUE(full.ok());
  ASSERT_TRUE(n.Start({.kind = "kill", .targets = {"n1"}}).ok());
  ASSERT_TRUE(n.End(*full).ok());
  EXPECT_EQ(inj.calls.back(), "disk n1 heal");  // the kill still holds it: no restart
}

TEST(NemesisTest, ADiskFaultWithoutItsFileSystemFailsAndIsRecordedUnsupported) {
  RecordingInjector inj;
  inj.no_disk = true;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto id = n.Start({.kind = "lose-unsynced", .targets = {"n1"}});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(inj.calls.back(), "restart n1");  // the half-applied crash is undone
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["phase"], "unsupported");
  EXPECT_EQ(lines[2]["phase"], "end");
}

TEST(NemesisTest, CorruptNamesTheFileKindAndDrawsItsSeed) {
  RecordingInjector inj;
  Nemesis n(
      &inj, [] { return 0; }, nullptr, Rng(1));
  ASSERT_TRUE(n.Start({.kind = "corrupt", .targets = {"n2"}, .file = "wal"}).ok());
  EXPECT_EQ(inj.calls[0], "kill n2");
  EXPECT_EQ(inj.calls[1].rfind("disk n2 corrupt wal ", 0), 0u) << inj.calls[1];
  ASSERT_TRUE(n.Start({.kind = "corrupt", .targets = {"n1"}}).ok());
  EXPECT_EQ(inj.calls[3].rfind("disk n1 corrupt * ", 0), 0u) << inj.calls[3];
}

TEST(NemesisTest, HealAllUndoesEverythingNewestFirst) {
  RecordingInjector inj;
  Nemesis n(
      &inj, [] { return 0; }, nullptr, Rng(1));
  ASSERT_TRUE(n.Start({.kind = "pause", .targets = {"n1"}}).ok());
  ASSERT_TRUE(n.Start({.kind = "partition-halves"}).ok());
  ASSERT_TRUE(n.Start({.kind = "clock-skew", .targets = {"n3"}, .skew_ns = 7}).ok());
  EXPECT_EQ(n.Active().size(), 3u);
  ASSERT_TRUE(n.HealAll().ok());
  EXPECT_TRUE(n.Active().empty());
  std::vector<std::string> want = {"pause n1",  "network 4", "clock n3 7", "clock n3 0",
                                   "network 0", "resume n1", "network 0",  "delay 0"};
  EXPECT_EQ(inj.calls, want);
}

TEST(NemesisTest, UnsupportedFaultIsRecordedNotFaked) {
  RecordingInjector inj;
  inj.unsupported_network = true;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto id = n.Start({.kind = "partition-halves"});
  EXPECT_EQ(id.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(log.str().find("\"phase\":\"unsupported\""), std::string::npos);
  EXPECT_TRUE(n.Active().empty());
}

// A message-level fault outside a simulator (the RecordingInjector, like the lab, does not
// override SetMessageFaults) is recorded unsupported, never faked; its rule names the kind and
// the directed links.
TEST(NemesisTest, MessageFaultsOutsideASimulatorAreRecordedUnsupported) {
  RecordingInjector inj;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  FaultRequest req{.kind = "drop-messages", .from = {"n1"}, .to = {"n2", "n3"}};
  req.message = "append-response";
  auto id = n.Start(req);
  EXPECT_EQ(id.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(log.str().find("exist only in simulation"), std::string::npos) << log.str();
  EXPECT_TRUE(n.Active().empty());
  EXPECT_TRUE(n.HealAll().ok());  // clearing (no rules) is fine anywhere

  ClusterView view{{"n1", "n2", "n3"}, "n2", {}};
  Rng rng(1);
  req.kind = "delay-messages";
  req.mean_ns = 150'000'000;
  auto f = BuildFault(req, view, rng);
  ASSERT_TRUE(f.ok()) << f.status();
  const std::vector<MessageRule> want = {{"append-response", "delay", "n1", "n2", 150'000'000},
                                         {"append-response", "delay", "n1", "n3", 150'000'000}};
  EXPECT_EQ(f->MessageRules(), want);
  req.message = "gossip";
  EXPECT_EQ(BuildFault(req, view, rng).status().code(), StatusCode::kInvalidArgument);
}

TEST(NemesisTest, ProcessFaultsSkipNodesAlreadyDown) {
  RecordingInjector inj;
  Nemesis n(
      &inj, [] { return 0; }, nullptr, Rng(1));
  ASSERT_TRUE(n.Start({.kind = "kill", .targets = {"n1"}}).ok());
  EXPECT_EQ(n.Start({.kind = "pause", .targets = {"n1"}}).status().code(),
            StatusCode::kUnavailable);
}

// Issue 26: a snapshot is asked of every target, recorded before it is asked, and over at once.
TEST(NemesisTest, SnapshotAsksEveryNodeUpAndEndsAtOnce) {
  RecordingInjector inj;
  std::ostringstream log;
  int64_t t = 7;
  Nemesis n(
      &inj, [&] { return t; }, &log, Rng(1));
  ASSERT_TRUE(n.Start({.kind = "kill", .targets = {"n3"}}).ok());
  auto id = n.Start({.kind = "snapshot"});
  ASSERT_TRUE(id.ok()) << id.status();
  // The killed node is skipped; nothing stays active but the kill.
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"kill n3", "snapshot n1", "snapshot n2"}));
  EXPECT_EQ(n.Active(), std::vector<std::string>{"kill n3"});
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["phase"], "start");
  EXPECT_EQ(lines[1]["fault"], "snapshot");
  EXPECT_EQ(lines[1]["targets"], nlohmann::json::parse(R"(["n1","n2"])"));
  EXPECT_EQ(lines[2]["phase"], "end");
  EXPECT_EQ(lines[2]["time"], 7);
  EXPECT_EQ(lines[2]["detail"]["index"], nlohmann::json::parse(R"({"n1":102,"n2":103})"));
  // Ending it (the timeline's end step) and healing have nothing to undo for it.
  inj.calls.clear();
  EXPECT_TRUE(n.End(*id).ok());
  EXPECT_TRUE(inj.calls.empty());
  ASSERT_TRUE(n.HealAll().ok());
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"restart n3", "network 0", "delay 0"}));
}

TEST(NemesisTest, SnapshotFailingOnOneTargetStillAsksTheOthers) {
  RecordingInjector inj;
  inj.snapshot_fails = {"n1"};
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto id = n.Start({.kind = "snapshot", .targets = {"n1", "leader"}});
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"snapshot n1", "snapshot n2"}));
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["phase"], "end");
  EXPECT_EQ(lines[1]["detail"]["index"], nlohmann::json::parse(R"({"n2":102})"));
  EXPECT_EQ(lines[1]["detail"]["errors"]["n1"], "n1 did not answer");
  EXPECT_TRUE(n.Active().empty());
}

// Issue 19: a delay is recorded (links, mean, jitter, seed, mechanism) before the delayer is
// told; two delays add up their links; ending one leaves the other's; the heal clears all.
TEST(NemesisTest, DelayIsRecordedWithItsMechanismThenAppliedAndHealed) {
  RecordingInjector inj;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto a = n.Start({.kind = "delay", .from = {"n1"}, .to = {"n2"}, .mean_ns = 50'000'000});
  ASSERT_TRUE(a.ok()) << a.status();
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["phase"], "start");
  EXPECT_EQ(lines[0]["fault"], "delay");
  EXPECT_TRUE(lines[0]["links"].empty()) << "a delay drops nothing";
  EXPECT_EQ(lines[0]["detail"]["mechanism"], "fake-queue");
  EXPECT_EQ(lines[0]["detail"]["mode"], "delay");
  EXPECT_EQ(lines[0]["detail"]["mean_ns"], 50'000'000);
  EXPECT_EQ(lines[0]["detail"]["jitter_ns"], 0);
  EXPECT_EQ(lines[0]["detail"]["delayed"], nlohmann::json::parse(R"([["n1","n2"]])"));
  EXPECT_TRUE(lines[0]["detail"].contains("seed"));
  ASSERT_EQ(inj.delay_rules.size(), 1u);
  EXPECT_EQ(inj.delay_rules[0].from, "n1");
  EXPECT_EQ(inj.delay_rules[0].to, "n2");
  EXPECT_EQ(inj.delay_rules[0].mean_ns, 50'000'000);

  auto b = n.Start({.kind = "delay", .targets = {"n3"}, .mean_ns = 7, .jitter_ns = 3});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(inj.delay_rules.size(), 5u);  // n1->n2, and n3 <-> n1, n2 both ways
  ASSERT_TRUE(n.End(*a).ok());
  EXPECT_EQ(inj.delay_rules.size(), 4u);
  for (const auto& r : inj.delay_rules) EXPECT_EQ(r.jitter_ns, 3);
  ASSERT_TRUE(n.HealAll().ok());
  EXPECT_TRUE(inj.delay_rules.empty());
  EXPECT_EQ(std::count(inj.calls.begin(), inj.calls.end(), "network 0"), 1)
      << "a delay is not a network rule";
}

// Issue 19: slow-node throttles its targets (recorded with the share and the mechanism first)
// and gives the CPU back at its end.
TEST(NemesisTest, SlowNodeThrottlesItsTargetsUntilItEnds) {
  RecordingInjector inj;
  std::ostringstream log;
  Nemesis n(
      &inj, [] { return 0; }, &log, Rng(1));
  auto id = n.Start({.kind = "slow-node", .targets = {"leader"}, .cpu = 0.25});
  ASSERT_TRUE(id.ok()) << id.status();
  auto lines = Lines(log.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["targets"], nlohmann::json::parse(R"(["n2"])"));
  EXPECT_EQ(lines[0]["detail"]["cpu"], 0.25);
  EXPECT_EQ(lines[0]["detail"]["mechanism"], "fake-cgroup");
  ASSERT_TRUE(n.End(*id).ok());
  EXPECT_EQ(inj.calls, (std::vector<std::string>{"throttle n2 0.250000", "unthrottle n2"}));
  EXPECT_EQ(n.Start({.kind = "slow-node", .cpu = 0}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace splitbrain::nemesis

// The etcd adapter's recovery of role changes and terms from etcd's own log, without etcd. The
// client's translation is tested in clients/etcd_client_test.cc; harness_etcd_run_test runs the
// real thing.
#include "harness/systems/etcd.h"

#include <gtest/gtest.h>

#include <string>

namespace splitbrain::harness::etcd {
namespace {

using nlohmann::json;

TEST(EtcdEvents, RoleChangesAndTermsComeFromEtcdsOwnLog) {
  // Lines as etcd 3.4.23 wrote them (shortened), a restart, and noise that is not JSON.
  const std::string n1 =
      R"({"level":"info","ts":"2026-11-27T02:47:13.929Z","caller":"embed/etcd.go:305","msg":"starting an etcd server","etcd-version":"3.4.23"}
{"level":"info","ts":"2026-11-27T02:47:15.951Z","caller":"etcdserver/server.go:816","msg":"starting etcd server","local-member-id":"43ed7be3d9b97d37"}
{"level":"info","ts":"2026-11-27T02:47:15.960Z","caller":"raft/raft.go:700","msg":"43ed7be3d9b97d37 became follower at term 2"}
{"level":"info","ts":"2026-11-27T02:47:15.966Z","caller":"raft/node.go:327","msg":"raft.node: 43ed7be3d9b97d37 elected leader 9b209a8ad9d72e94 at term 2"}
panic: something that is not zap
{"level":"info","ts":"2026-11-27T02:47:20.100Z","caller":"raft/raft.go:712","msg":"43ed7be3d9b97d37 became candidate at term 3"}
{"level":"info","ts":"2026-11-27T02:47:20.139Z","caller":"raft/raft.go:771","msg":"43ed7be3d9b97d37 became leader at term 3"}
{"level":"info","ts":"2026-11-27T02:47:25.000Z","caller":"raft/node.go:333","msg":"raft.node: 43ed7be3d9b97d37 lost leader 43ed7be3d9b97d37 at term 4"}
{"level":"info","ts":"2026-11-27T02:47:30.000Z","caller":"embed/etcd.go:305","msg":"starting an etcd server"}
)";
  const std::string n2 =
      R"({"level":"info","ts":"2026-11-27T02:47:15.951Z","msg":"starting etcd server","local-member-id":"9b209a8ad9d72e94"})";
  const auto names = MemberNames({{"n1", n1}, {"n2", n2}});
  EXPECT_EQ(names.at("43ed7be3d9b97d37"), "n1");
  EXPECT_EQ(names.at("9b209a8ad9d72e94"), "n2");
  std::vector<json> events;  // each as its events.jsonl line
  for (const auto& e : EventsFromLog("n1", n1, names)) events.push_back(records::NodeEventJson(e));
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0],
            json({{"t", 1795747633929000000}, {"node", "n1"}, {"event", "start"}, {"term", 0}}));
  EXPECT_EQ(events[1]["role"], "follower");
  EXPECT_EQ(events[1]["term"], 2);
  EXPECT_EQ(events[2]["leader"], "n2");  // the hex id named
  EXPECT_EQ(events[3]["role"], "candidate");
  EXPECT_EQ(events[4]["role"], "leader");
  EXPECT_EQ(events[4]["leader"], "n1");
  EXPECT_EQ(events[4]["t"], 1795747640139000000);
  EXPECT_EQ(events[5]["role"], "follower");
  EXPECT_TRUE(events[5]["leader"].is_null());
  EXPECT_EQ(events[6]["event"], "start");
}

}  // namespace
}  // namespace splitbrain::harness::etcd

// The etcd adapter's pure parts, without etcd: role changes and terms from etcd's own log, and
// what it reads from the cluster API's answers. The client's translation is tested in
// clients/etcd_client_test.cc; harness_run_test (etcd_run_test.cc) runs the real thing.
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

// Answers of etcd 3.4.23's gateway, copied from a real two-member session on loopback: the list
// after /v3/cluster/member/add of 127.0.0.1:23801 (the new member listed, not started yet: no
// name), and after it joined.
const json kAdded = json::parse(R"({"header":{"cluster_id":"324952591200643719",
  "member_id":"3319814642761637952","raft_term":"2"},
  "member":{"ID":"10176536188373526710","peerURLs":["http://127.0.0.1:23801"]},
  "members":[{"ID":"3319814642761637952","name":"n1","peerURLs":["http://127.0.0.1:23800"],
              "clientURLs":["http://127.0.0.1:23790"]},
             {"ID":"10176536188373526710","peerURLs":["http://127.0.0.1:23801"]}]})");
const json kJoined = json::parse(R"({"members":[
  {"ID":"3319814642761637952","name":"n1","peerURLs":["http://127.0.0.1:23800"],
   "clientURLs":["http://127.0.0.1:23790"]},
  {"ID":"10176536188373526710","name":"n2","peerURLs":["http://127.0.0.1:23801"],
   "clientURLs":["http://127.0.0.1:23791"]}]})");

TEST(EtcdMembership, MemberIdIsTheGatewaysDecimalTextOfTheNamedMember) {
  EXPECT_EQ(*MemberId(kJoined, "n2"), "10176536188373526710");  // past int64: kept as text
  EXPECT_EQ(*MemberId(kJoined, "n1"), "3319814642761637952");
  EXPECT_EQ(MemberId(kJoined, "n3").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(MemberId(kAdded, "n2").status().code(), StatusCode::kNotFound);  // not started: unnamed
  EXPECT_EQ(MemberId(json::object(), "n1").status().code(), StatusCode::kNotFound);
}

TEST(EtcdMembership, AJoiningMemberStartsWithEveryMemberAndItselfUnderItsName) {
  EXPECT_EQ(*JoinCluster(kAdded, "n2", "http://127.0.0.1:23801"),
            "n1=http://127.0.0.1:23800,n2=http://127.0.0.1:23801");
  EXPECT_EQ(*JoinCluster(kJoined, "n2", "http://127.0.0.1:23801"),
            "n1=http://127.0.0.1:23800,n2=http://127.0.0.1:23801");
  // Not added (the add is still to do), or another member not started: refused, never guessed.
  EXPECT_EQ(JoinCluster(kJoined, "n3", "http://127.0.0.1:23802").status().code(),
            StatusCode::kInvalidArgument);
  json two_unstarted = kAdded;
  two_unstarted["members"].push_back({{"ID", "5"}, {"peerURLs", {"http://127.0.0.1:23802"}}});
  EXPECT_FALSE(JoinCluster(two_unstarted, "n2", "http://127.0.0.1:23801").ok());
  json no_url = kJoined;
  no_url["members"][0].erase("peerURLs");
  EXPECT_FALSE(JoinCluster(no_url, "n2", "http://127.0.0.1:23801").ok());
}

}  // namespace
}  // namespace splitbrain::harness::etcd

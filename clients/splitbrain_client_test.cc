// SplitbrainClient against fake nodes: real sockets on 127.0.0.1, each fake node answering
// /command as splitbrain-node does (the leader 200 ok, the others 421 naming the leader), and
// recording which node every request reached, in order. Moved from workloads/ with the client
// (what the tests assert is unchanged).
#include "clients/splitbrain_client.h"

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clients/fake_members.h"

namespace splitbrain::clients {
namespace {

using namespace std::chrono_literals;
using workloads::NodeAddress;
using workloads::NodePicker;
using workloads::Placement;

// Nodes as splitbrain-node answers /command: `leader` < 0, every node answers ok itself (as
// nodes with stale-read serve reads); else the leader answers ok and the others 421 naming it.
class FakeCluster {
 public:
  FakeCluster(int nodes, int leader)
      : leader_(leader),
        members_(nodes, [this](size_t i, const FakeMembers::Request&) { return Respond(i); }) {}

  const std::vector<NodeAddress>& addresses() const { return members_.addresses(); }
  void set_leader(int leader) { leader_ = leader; }
  // The node ids that requests reached, in order; cleared by each call.
  std::vector<std::string> TakeRequests() {
    std::vector<std::string> ids;
    for (const auto& r : members_.TakeRequests()) ids.push_back(r.member);
    return ids;
  }

 private:
  FakeMembers::Answer Respond(size_t i) const {
    const int leader = leader_;
    if (leader < 0 || static_cast<size_t>(leader) == i) {
      return {200, R"({"outcome":"ok","value":null})"};
    }
    const NodeAddress& l = members_.addresses()[static_cast<size_t>(leader)];
    return {421, R"({"outcome":"fail","error":"not leader","leader":")" + l.id +
                     R"(","leader_client":")" + l.client + R"("})"};
  }

  std::atomic<int> leader_;
  FakeMembers members_;  // last: its threads call Respond until it is destroyed
};

const nlohmann::json kRead = {{"op", "read"}, {"key", "x"}};

std::string Answered(SplitbrainClient& c) {
  records::Reply r = c.Send(kRead, 2s);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.node;
}

// Six clients on three nodes that all answer: each client's operations go to its own home node,
// so every node serves two clients.
TEST(SplitbrainClientPlacement, HomeSpreadsClientsRoundRobin) {
  FakeCluster cluster(3, -1);
  std::vector<std::unique_ptr<SplitbrainClient>> clients;
  for (size_t slot = 0; slot < 6; ++slot) {
    clients.push_back(
        std::make_unique<SplitbrainClient>(cluster.addresses(), slot, Placement::kHome, slot));
  }
  std::map<std::string, int> per_node;
  for (size_t slot = 0; slot < 6; ++slot) {
    for (int op = 0; op < 3; ++op) {
      const std::string by = Answered(*clients[slot]);
      EXPECT_EQ(by, "n" + std::to_string(slot % 3 + 1)) << "slot " << slot;
      per_node[by]++;
    }
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"n1", 6}, {"n2", 6}, {"n3", 6}}));
}

// The regression of issue 25: a client redirected to the leader used to stay there, so every
// client gathered on the leader and followers never served an operation. With home placement
// each operation starts at home again and the redirect holds for that operation only.
TEST(SplitbrainClientPlacement, HomeStartsEveryOperationAtHomeAndRedirectsWithinIt) {
  FakeCluster cluster(3, 2);
  SplitbrainClient c(cluster.addresses(), 0, Placement::kHome, 1);
  for (int op = 0; op < 3; ++op) {
    EXPECT_EQ(Answered(c), "n3");
    EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n3"})) << "op " << op;
  }
  // The leader moves: the redirect follows it, and home is still where operations begin.
  cluster.set_leader(1);
  EXPECT_EQ(Answered(c), "n2");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n2"}));
  // Home is the leader: no redirect at all.
  cluster.set_leader(0);
  EXPECT_EQ(Answered(c), "n1");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1"}));
}

// Leader placement keeps the old behaviour: after one redirect the client stays on the leader.
TEST(SplitbrainClientPlacement, LeaderStaysWhereTheRedirectLanded) {
  FakeCluster cluster(3, 2);
  SplitbrainClient c(cluster.addresses(), 0, Placement::kLeader, 1);
  EXPECT_EQ(Answered(c), "n3");
  EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n1", "n3"}));
  for (int op = 0; op < 3; ++op) {
    EXPECT_EQ(Answered(c), "n3");
    EXPECT_EQ(cluster.TakeRequests(), (std::vector<std::string>{"n3"}));
  }
}

// Random placement: each operation starts at the node the seeded picker draws, whatever node
// the previous one ended on, and a redirect holds for that operation only.
TEST(SplitbrainClientPlacement, RandomStartsEachOperationWhereTheSeedSays) {
  FakeCluster cluster(3, 2);
  SplitbrainClient c(cluster.addresses(), 0, Placement::kRandom, 99);
  NodePicker expect(Placement::kRandom, 3, 0, 99);
  std::map<std::string, int> starts;
  for (int op = 0; op < 60; ++op) {
    const size_t start = expect.Start(0);
    EXPECT_EQ(Answered(c), "n3");
    auto reqs = cluster.TakeRequests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_EQ(reqs.front(), "n" + std::to_string(start + 1)) << "op " << op;
    EXPECT_EQ(reqs.back(), "n3");
    EXPECT_EQ(reqs.size(), start == 2 ? 1u : 2u);
    starts[reqs.front()]++;
  }
  EXPECT_EQ(starts.size(), 3u);  // every node began some operation
}

node::Reply NodeAnswer(int status, records::Outcome outcome) {
  node::Reply a;
  a.http_status = status;
  a.outcome = outcome;
  a.value = 5;
  a.error = "why";
  return a;
}

// splitbrain-node's statuses in the workloads' words: which refusals stand, which move on.
TEST(SplitbrainClientReply, RefusalsAsTheNodeMeansThem) {
  using records::Outcome;
  using records::Refusal;
  const records::Reply ok = ReplyFromNode(NodeAnswer(200, Outcome::kOk), "n1");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.value, 5);
  EXPECT_EQ(ok.node, "n1");
  EXPECT_EQ(ok.refusal, Refusal::kNone);
  EXPECT_EQ(ReplyFromNode(NodeAnswer(504, Outcome::kUnknown), "n1").refusal, Refusal::kNone);
  EXPECT_EQ(ReplyFromNode(NodeAnswer(0, Outcome::kUnknown), "n1").refusal, Refusal::kNone);
  EXPECT_EQ(ReplyFromNode(NodeAnswer(409, Outcome::kFail), "n1").refusal, Refusal::kState);
  EXPECT_EQ(ReplyFromNode(NodeAnswer(400, Outcome::kFail), "n1").refusal, Refusal::kInvalid);
  for (int status : {0, 413, 421, 503}) {
    const records::Reply r = ReplyFromNode(NodeAnswer(status, Outcome::kFail), "n2");
    EXPECT_EQ(r.refusal, Refusal::kMember) << status;
    EXPECT_EQ(r.error, "why");
    EXPECT_FALSE(r.NamesLeader()) << status;
  }
  // A redirect names the leader; a 421 without its address (no leader known) does not.
  node::Reply redirect = NodeAnswer(421, Outcome::kFail);
  redirect.leader = "n3";
  redirect.leader_client = "127.0.0.1:7103";
  const records::Reply r = ReplyFromNode(redirect, "n2");
  EXPECT_TRUE(r.NamesLeader());
  EXPECT_EQ(r.leader, "n3");
  EXPECT_EQ(r.leader_address, "127.0.0.1:7103");
  redirect.leader_client.clear();
  EXPECT_FALSE(ReplyFromNode(redirect, "n2").NamesLeader());
}

}  // namespace
}  // namespace splitbrain::clients

// The NATS adapter's pure parts (issue 16): the config file a member starts from, its status
// from /jsz, and what a nats plan may not ask for — refused at validation with the reason.
#include "harness/systems/nats.h"

#include <gtest/gtest.h>

#include "harness/plan.h"
#include "harness/systems/catalog.h"

namespace splitbrain::harness {
namespace {

using nlohmann::json;

TEST(NatsSystemTest, ConfigHasJetStreamInTheDataDirAndRoutesToEveryOtherMember) {
  const std::string c = nats::ConfigFor("n2", "10.77.0.12", "/run/nodes/n2/data",
                                        {"10.77.0.11", "10.77.0.12", "10.77.0.13"});
  EXPECT_NE(c.find("server_name: \"n2\""), std::string::npos) << c;
  EXPECT_NE(c.find("listen: \"10.77.0.12:4222\""), std::string::npos) << c;
  EXPECT_NE(c.find("http: \"10.77.0.12:8222\""), std::string::npos) << c;
  EXPECT_NE(c.find("store_dir: \"/run/nodes/n2/data\""), std::string::npos) << c;
  EXPECT_NE(c.find("listen: \"10.77.0.12:6222\""), std::string::npos) << c;
  EXPECT_NE(c.find("routes: [\"nats-route://10.77.0.11:6222\", \"nats-route://10.77.0.13:6222\"]"),
            std::string::npos)
      << c;
  EXPECT_EQ(c.find("nats-route://10.77.0.12"), std::string::npos) << "no route to itself";
  // A path with a quote stays one string.
  EXPECT_NE(nats::ConfigFor("n1", "10.77.0.11", "/a\"b", {}).find("\"/a\\\"b\""),
            std::string::npos);
}

TEST(NatsSystemTest, StatusNamesTheStreamLeaderElseTheMetaLeader) {
  const json meta_only = json::parse(R"({"server_id": "X", "meta_cluster":
      {"name": "splitbrain", "leader": "n3", "peer": "abc", "cluster_size": 3}})");
  json st = nats::StatusFromJsz("n3", meta_only, "queue");
  EXPECT_EQ(st["role"], "leader");
  EXPECT_EQ(st["term"], 0);
  EXPECT_EQ(st["meta_leader"], "n3");
  EXPECT_TRUE(st["stream_leader"].is_null());
  EXPECT_EQ(nats::StatusFromJsz("n1", meta_only, "queue")["role"], "follower");
  json with_stream = meta_only;
  with_stream["account_details"] = json::parse(R"([{"name": "$G", "stream_detail": [
      {"name": "other", "cluster": {"leader": "n3"}},
      {"name": "queue", "cluster": {"leader": "n1", "replicas": []}}]}])");
  EXPECT_EQ(nats::StatusFromJsz("n1", with_stream, "queue")["role"], "leader");
  EXPECT_EQ(nats::StatusFromJsz("n3", with_stream, "queue")["role"], "follower");
  EXPECT_EQ(nats::StatusFromJsz("n3", with_stream, "queue")["stream_leader"], "n1");
  // Not a /jsz answer: no status.
  EXPECT_TRUE(nats::StatusFromJsz("n1", json::parse(R"({"error": "x"})"), "queue").is_null());
  EXPECT_TRUE(nats::StatusFromJsz("n1", json("text"), "queue").is_null());
  EXPECT_EQ(
      nats::StatusFromJsz("n1", json::parse(R"({"meta_cluster": {"leader": 5}})"), "queue")["role"],
      "follower");
}

TEST(NatsSystemTest, WhatNatsCannotDoIsRefusedAtValidationWithTheReason) {
  auto refused = [](const std::string& text) {
    auto p = ParsePlanText(text, "x.yaml");
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_EQ(refused("system: nats\nworkload: queue\nnemesis: [kill, pause, partition-halves, "
                    "partition-one-way]\n"),
            "");
  std::string clock = refused("system: nats\nworkload: queue\nnemesis: [clock-skew]\n");
  EXPECT_NE(clock.find("libfaketime"), std::string::npos) << clock;
  EXPECT_NE(clock.find("x.yaml:3:"), std::string::npos) << clock;
  // The register is a KV bucket now; the kv workload is not translated.
  EXPECT_EQ(refused("system: nats\nworkload: register\nnemesis: [kill, one-way-to-leader]\n"), "");
  EXPECT_NE(refused("system: nats\nworkload: kv\n").find("not translated to NATS"),
            std::string::npos);
  EXPECT_NE(refused("system: nats\nworkload: queue\ncheckers: [queue, term-churn]\n")
                .find("no Raft term"),
            std::string::npos);
  EXPECT_NE(refused("workload: queue\n").find("system nats"), std::string::npos);
  // The defaults drop what NATS cannot feed.
  auto p = ParsePlanText("system: nats\nworkload: queue\n", "x.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].checkers, (std::vector<std::string>{"queue", "availability", "stats"}));
}

}  // namespace
}  // namespace splitbrain::harness

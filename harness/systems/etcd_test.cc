// The etcd adapter's translation, without etcd: commands to gateway calls, and gateway answers
// (including the failure shapes etcd 3.4 was seen to give) to outcomes. harness_run_test runs
// the real thing.
#include "harness/systems/etcd.h"

#include <gtest/gtest.h>

#include <string>

#include "common/rng.h"

namespace splitbrain::harness::etcd {
namespace {

using nlohmann::json;

TEST(EtcdBase64, KnownVectorsAndRoundTrip) {
  // RFC 4648 §10.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, enc] : vectors) {
    EXPECT_EQ(Base64Encode(raw), enc);
    auto back = Base64Decode(enc);
    ASSERT_TRUE(back.ok()) << enc;
    EXPECT_EQ(*back, raw);
  }
  Rng rng(7);
  for (int i = 0; i < 500; ++i) {
    std::string bytes(rng.Uniform(40), '\0');
    for (char& c : bytes) c = static_cast<char>(rng.Uniform(256));
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes);
  }
  for (const char* bad : {"Zg=", "Z$==", "Zg==Zg==", "=Zg="}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

TEST(EtcdRequest, RegisterCommandsBecomeGatewayCalls) {
  auto read = RequestFor({{"op", "read"}, {"key", "r1"}});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->path, "/v3/kv/range");
  EXPECT_EQ(read->body, json({{"key", "cjE="}}));

  auto write = RequestFor({{"op", "write"}, {"key", "r1"}, {"value", 3}});
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(write->path, "/v3/kv/put");
  EXPECT_EQ(write->body, json({{"key", "cjE="}, {"value", "Mw=="}}));

  auto cas = RequestFor({{"op", "cas"}, {"key", "r1"}, {"expected", 3}, {"value", 4}});
  ASSERT_TRUE(cas.ok());
  EXPECT_EQ(cas->path, "/v3/kv/txn");
  EXPECT_EQ(cas->body["compare"][0],
            json({{"key", "cjE="}, {"target", "VALUE"}, {"result", "EQUAL"}, {"value", "Mw=="}}));
  EXPECT_EQ(cas->body["success"][0]["requestPut"], json({{"key", "cjE="}, {"value", "NA=="}}));

  auto other = RequestFor({{"op", "transfer"}, {"key", "a"}});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("transfer"), std::string::npos);
}

node::Reply Http(int status, json body, node::Outcome transport = node::Outcome::kOk) {
  node::Reply r;
  r.http_status = status;
  r.body = std::move(body);
  r.outcome = transport;
  return r;
}

TEST(EtcdReply, OkAnswersCarryTheValue) {
  const json read = {{"op", "read"}, {"key", "r1"}};
  // As etcd 3.4.23 answered: 64-bit numbers as strings, base64 key and value.
  auto r = ReplyFor(read, Http(200, json::parse(R"({"header":{"revision":"2"},"kvs":[{"key":"cjE=",
      "create_revision":"2","mod_revision":"2","version":"1","value":"Mw=="}],"count":"1"})")));
  EXPECT_EQ(r.outcome, node::Outcome::kOk);
  EXPECT_EQ(r.value, json(3));
  // A missing key: no "kvs" at all (default fields are omitted).
  auto missing = ReplyFor(read, Http(200, json::parse(R"({"header":{"revision":"2"}})")));
  EXPECT_EQ(missing.outcome, node::Outcome::kOk);
  EXPECT_TRUE(missing.value.is_null());
  // A value that is not ours: never an ok read of garbage.
  auto garbage = ReplyFor(read, Http(200, {{"kvs", {{{"value", "!!!!"}}}}}));
  EXPECT_EQ(garbage.outcome, node::Outcome::kFail);
}

TEST(EtcdReply, CompareAndSetFailsWhenSucceededIsAbsent) {
  const json cas = {{"op", "cas"}, {"key", "r1"}, {"expected", 3}, {"value", 4}};
  EXPECT_EQ(ReplyFor(cas, Http(200, {{"succeeded", true}})).outcome, node::Outcome::kOk);
  auto failed = ReplyFor(cas, Http(200, {{"header", {{"revision", "3"}}}}));
  EXPECT_EQ(failed.outcome, node::Outcome::kFail);
  EXPECT_EQ(failed.http_status, 409);
}

TEST(EtcdReply, WritesThatMightHaveHappenedAreUnknown) {
  const json write = {{"op", "write"}, {"key", "r1"}, {"value", 1}};
  const json read = {{"op", "read"}, {"key", "r1"}};
  const json timed_out = {{"error", "etcdserver: request timed out"}, {"code", 14}};
  // 503 Unavailable: the proposal may still commit.
  auto w503 = ReplyFor(write, Http(503, timed_out));
  EXPECT_EQ(w503.outcome, node::Outcome::kUnknown);
  EXPECT_EQ(w503.error, "etcdserver: request timed out");
  EXPECT_EQ(ReplyFor(write, Http(504, json())).outcome, node::Outcome::kUnknown);
  EXPECT_EQ(ReplyFor(write, Http(500, json())).outcome, node::Outcome::kUnknown);
  // A deadline after the request was sent (transport says unknown): unknown.
  EXPECT_EQ(ReplyFor(write, Http(0, nullptr, node::Outcome::kUnknown)).outcome,
            node::Outcome::kUnknown);
  // Refused before sending, or 4xx: certainly nothing happened.
  EXPECT_EQ(ReplyFor(write, Http(0, nullptr, node::Outcome::kFail)).outcome, node::Outcome::kFail);
  EXPECT_EQ(ReplyFor(write, Http(400, {{"error", "bad"}, {"code", 3}})).outcome,
            node::Outcome::kFail);
  EXPECT_EQ(ReplyFor(write, Http(429, json())).outcome, node::Outcome::kFail);
  // A read changes nothing: any failure is a plain fail.
  EXPECT_EQ(ReplyFor(read, Http(503, timed_out)).outcome, node::Outcome::kFail);
  EXPECT_EQ(ReplyFor(read, Http(0, nullptr, node::Outcome::kUnknown)).outcome,
            node::Outcome::kFail);
}

TEST(EtcdEvents, RoleChangesAndTermsComeFromEtcdsOwnLog) {
  // Lines as etcd 3.4.23 wrote them (shortened), a restart, and noise that is not JSON.
  const std::string n1 = R"({"level":"info","ts":"2026-11-27T02:47:13.929Z","caller":"embed/etcd.go:305","msg":"starting an etcd server","etcd-version":"3.4.23"}
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
  EXPECT_EQ(events[0], json({{"t", 1795747633929000000}, {"node", "n1"}, {"event", "start"},
                             {"term", 0}}));
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

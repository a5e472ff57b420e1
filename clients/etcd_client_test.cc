// The etcd client's translation, without etcd: commands to gateway calls, and gateway answers
// (including the failure shapes etcd 3.4 was seen to give) to outcomes and refusals. Moved from
// harness/systems/etcd_test.cc with the client (what they assert is unchanged, the refusal
// read from the reply's records::Refusal where it was an HTTP status); harness_run_test
// runs the real thing.
#include "clients/etcd_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "clients/fake_members.h"
#include "common/rng.h"

namespace splitbrain::clients::etcd {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using records::Outcome;
using records::Refusal;

TEST(EtcdBase64, KnownVectorsAndRoundTrip) {
  // RFC 4648 §10.
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
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

  auto other = RequestFor({{"op", "queue-read"}, {"key", "q"}});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("queue-read"), std::string::npos);
}

// Values as the client stores them (JSON text), base64 as the gateway carries them.
std::string B64(const json& value) { return Base64Encode(value.dump()); }

TEST(EtcdRequest, EveryWorkloadsCommandsBecomeGatewayCalls) {
  auto get = RequestFor({{"op", "get"}, {"key", "k1"}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->body, json({{"key", Base64Encode("k1")}}));
  auto put = RequestFor({{"op", "put"}, {"key", "k1"}, {"value", "7;"}});
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->path, "/v3/kv/put");
  EXPECT_EQ(put->body, json({{"key", Base64Encode("k1")}, {"value", B64("7;")}}));
  // A set: one key per element; a read is the range of the set's prefix.
  auto add = RequestFor({{"op", "set-add"}, {"key", "s0"}, {"value", 12}});
  ASSERT_TRUE(add.ok());
  EXPECT_EQ(add->path, "/v3/kv/put");
  EXPECT_EQ(add->body, json({{"key", Base64Encode("s0/12")}, {"value", B64(12)}}));
  auto members = RequestFor({{"op", "set-read"}, {"key", "s0"}});
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(members->body,
            json({{"key", Base64Encode("s0/")}, {"range_end", Base64Encode("s00")}}));
  EXPECT_FALSE(RequestFor({{"op", "set-add"}, {"key", "s0"}, {"value", "x"}}).ok());
  auto counter = RequestFor({{"op", "counter-read"}, {"key", "counter"}});
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(counter->path, "/v3/kv/range");
  // The bank: every account at one revision; created all at once or not at all.
  auto bank = RequestFor({{"op", "bank-read"}});
  ASSERT_TRUE(bank.ok());
  EXPECT_EQ(bank->body,
            json({{"key", Base64Encode("bank/")}, {"range_end", Base64Encode("bank0")}}));
  auto init = RequestFor({{"op", "bank-init"}, {"accounts", {{"a0", 10}, {"a1", 10}}}});
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->path, "/v3/kv/txn");
  ASSERT_EQ(init->body["compare"].size(), 2u);
  EXPECT_EQ(init->body["compare"][1], json({{"key", Base64Encode("bank/a1")},
                                            {"target", "MOD"},
                                            {"result", "EQUAL"},
                                            {"mod_revision", "0"}}));
  EXPECT_EQ(init->body["success"][0]["requestPut"],
            json({{"key", Base64Encode("bank/a0")}, {"value", B64(10)}}));
  EXPECT_FALSE(RequestFor({{"op", "bank-init"}, {"accounts", json::object()}}).ok());
  // The read-modify-writes are not one call.
  EXPECT_FALSE(RequestFor({{"op", "append"}, {"key", "k1"}, {"value", "1;"}}).ok());
  EXPECT_EQ(PrefixEnd("s0/"), "s00");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
}

node::Reply Http(int status, json body, Outcome transport = Outcome::kOk) {
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
  EXPECT_EQ(r.outcome, Outcome::kOk);
  EXPECT_EQ(r.value, json(3));
  // A missing key: no "kvs" at all (default fields are omitted).
  auto missing = ReplyFor(read, Http(200, json::parse(R"({"header":{"revision":"2"}})")));
  EXPECT_EQ(missing.outcome, Outcome::kOk);
  EXPECT_TRUE(missing.value.is_null());
  // A value that is not ours: never an ok read of garbage.
  auto garbage = ReplyFor(read, Http(200, {{"kvs", {{{"value", "!!!!"}}}}}));
  EXPECT_EQ(garbage.outcome, Outcome::kFail);
}

TEST(EtcdReply, ReadsOfEveryWorkloadAnswerAsSplitbrainNodeDoes) {
  auto kv = [](const std::string& key, const json& value) {
    return json({{"key", Base64Encode(key)}, {"mod_revision", "4"}, {"value", B64(value)}});
  };
  // A set's elements in numeric order, whatever order etcd's keys sort in ("s0/10" < "s0/9").
  auto set = ReplyFor({{"op", "set-read"}, {"key", "s0"}},
                      Http(200, {{"kvs", {kv("s0/10", 10), kv("s0/9", 9), kv("s0/100", 100)}}}));
  EXPECT_EQ(set.outcome, Outcome::kOk);
  EXPECT_EQ(set.value, json({9, 10, 100}));
  EXPECT_EQ(ReplyFor({{"op", "set-read"}, {"key", "s0"}}, Http(200, json::object())).value,
            json::array());
  EXPECT_EQ(ReplyFor({{"op", "set-read"}, {"key", "s0"}}, Http(200, {{"kvs", {kv("s0/x", "x")}}}))
                .outcome,
            Outcome::kFail);
  // The bank as etcd 3.4.23 answered a range over bank/.
  auto bank = ReplyFor({{"op", "bank-read"}}, Http(200, json::parse(R"({"header":{"revision":"3"},
      "kvs":[{"key":"YmFuay9hMA==","create_revision":"2","mod_revision":"2","version":"1",
      "value":"MTA="},{"key":"YmFuay9hMQ==","create_revision":"3","mod_revision":"3",
      "version":"1","value":"NQ=="}],"count":"2"})")));
  EXPECT_EQ(bank.outcome, Outcome::kOk);
  EXPECT_EQ(bank.value, json({{"a0", 10}, {"a1", 5}}));
  // Absent keys read as the node reads them: "" for kv, 0 for the counter.
  EXPECT_EQ(ReplyFor({{"op", "get"}, {"key", "k1"}}, Http(200, json::object())).value, json(""));
  EXPECT_EQ(ReplyFor({{"op", "counter-read"}, {"key", "c"}}, Http(200, json::object())).value,
            json(0));
  EXPECT_EQ(
      ReplyFor({{"op", "get"}, {"key", "k1"}}, Http(200, {{"kvs", {kv("k1", "1;2;")}}})).value,
      json("1;2;"));
  // A read's failure is a fail; a bank-init that found an account: the state's refusal.
  EXPECT_EQ(ReplyFor({{"op", "bank-read"}}, Http(503, json::object())).outcome, Outcome::kFail);
  const json init = {{"op", "bank-init"}, {"accounts", {{"a0", 10}}}};
  auto exists = ReplyFor(init, Http(200, {{"header", {{"revision", "3"}}}}));
  EXPECT_EQ(exists.outcome, Outcome::kFail);
  EXPECT_EQ(exists.refusal, Refusal::kState);
  auto created = ReplyFor(init, Http(200, {{"succeeded", true}}));
  EXPECT_EQ(created.outcome, Outcome::kOk);
  EXPECT_EQ(created.value, init["accounts"]);
  EXPECT_EQ(ReplyFor(init, Http(503, json::object())).outcome, Outcome::kUnknown);
}

TEST(EtcdUpdate, ReadModifyWritesComputeTheNodesResultAndHoldOnlyIfNothingChanged) {
  const json transfer = {{"op", "transfer"}, {"from", "a0"}, {"to", "a1"}, {"amount", 4}};
  EXPECT_EQ(UpdateKeys(transfer), (std::vector<std::string>{"bank/a0", "bank/a1"}));
  EXPECT_TRUE(UpdateKeys({{"op", "transfer"}, {"from", "a0"}}).empty());
  EXPECT_TRUE(UpdateKeys({{"op", "write"}, {"key", "r"}}).empty());
  EXPECT_EQ(ReadKeysRequest({"bank/a0", "bank/a1"}).body["success"][1],
            json({{"requestRange", {{"key", Base64Encode("bank/a1")}}}}));
  // As etcd 3.4.23 answered that read: a1 did not exist.
  auto read = ParseReadKeys(json::parse(R"({"header":{"revision":"2"},"succeeded":true,
      "responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"YmFuay9hMA==",
      "create_revision":"2","mod_revision":"2","version":"1","value":"MTA="}],"count":"1"}},
      {"response_range":{"header":{"revision":"2"}}}]})"),
                            2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)[0].value, json(10));
  EXPECT_EQ((*read)[0].mod_revision, "2");
  EXPECT_TRUE((*read)[1].value.is_null());
  EXPECT_EQ((*read)[1].mod_revision, "0");
  EXPECT_FALSE(ParseReadKeys(json::object(), 2).ok());

  auto moved = UpdateFor(transfer, {10, 5});
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->value, json({{"from", 6}, {"to", 9}}));
  auto txn = UpdateRequest(UpdateKeys(transfer), {{10, "2"}, {5, "3"}}, *moved);
  EXPECT_EQ(txn.body["compare"][0], json({{"key", Base64Encode("bank/a0")},
                                          {"target", "MOD"},
                                          {"result", "EQUAL"},
                                          {"mod_revision", "2"}}));
  EXPECT_EQ(txn.body["compare"][1]["mod_revision"], "3");
  EXPECT_EQ(txn.body["success"][1]["requestPut"],
            json({{"key", Base64Encode("bank/a1")}, {"value", B64(9)}}));
  // The state's refusals, as the node's: never written.
  EXPECT_EQ(UpdateFor(transfer, {3, 5}).status().code(), StatusCode::kAborted);
  EXPECT_EQ(UpdateFor(transfer, {10, nullptr}).status().code(), StatusCode::kAborted);
  EXPECT_EQ(
      UpdateFor({{"op", "counter-add"}, {"key", "c"}, {"value", 1}}, {INT64_MAX}).status().code(),
      StatusCode::kAborted);
  auto counted = UpdateFor({{"op", "counter-add"}, {"key", "c"}, {"value", 3}}, {nullptr});
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->value, 3);
  auto appended = UpdateFor({{"op", "append"}, {"key", "k"}, {"value", "2;"}}, {"1;"});
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->value, "1;2;");
  EXPECT_EQ(appended->puts, (std::vector<std::pair<std::string, json>>{{"k", "1;2;"}}));
}

TEST(EtcdReply, CompareAndSetFailsWhenSucceededIsAbsent) {
  const json cas = {{"op", "cas"}, {"key", "r1"}, {"expected", 3}, {"value", 4}};
  EXPECT_EQ(ReplyFor(cas, Http(200, {{"succeeded", true}})).outcome, Outcome::kOk);
  auto failed = ReplyFor(cas, Http(200, {{"header", {{"revision", "3"}}}}));
  EXPECT_EQ(failed.outcome, Outcome::kFail);
  EXPECT_EQ(failed.refusal, records::Refusal::kState);  // the operation's own: not retried
}

TEST(EtcdReply, WritesThatMightHaveHappenedAreUnknown) {
  const json write = {{"op", "write"}, {"key", "r1"}, {"value", 1}};
  const json read = {{"op", "read"}, {"key", "r1"}};
  const json timed_out = {{"error", "etcdserver: request timed out"}, {"code", 14}};
  // 503 Unavailable: the proposal may still commit.
  auto w503 = ReplyFor(write, Http(503, timed_out));
  EXPECT_EQ(w503.outcome, Outcome::kUnknown);
  EXPECT_EQ(w503.error, "etcdserver: request timed out");
  EXPECT_EQ(ReplyFor(write, Http(504, json())).outcome, Outcome::kUnknown);
  EXPECT_EQ(ReplyFor(write, Http(500, json())).outcome, Outcome::kUnknown);
  // A deadline after the request was sent (transport says unknown): unknown.
  EXPECT_EQ(ReplyFor(write, Http(0, nullptr, Outcome::kUnknown)).outcome, Outcome::kUnknown);
  // Refused before sending, or 4xx: certainly nothing happened.
  EXPECT_EQ(ReplyFor(write, Http(0, nullptr, Outcome::kFail)).outcome, Outcome::kFail);
  EXPECT_EQ(ReplyFor(write, Http(400, {{"error", "bad"}, {"code", 3}})).outcome, Outcome::kFail);
  EXPECT_EQ(ReplyFor(write, Http(429, json())).outcome, Outcome::kFail);
  // A read changes nothing: any failure is a plain fail.
  EXPECT_EQ(ReplyFor(read, Http(503, timed_out)).outcome, Outcome::kFail);
  EXPECT_EQ(ReplyFor(read, Http(0, nullptr, Outcome::kUnknown)).outcome, Outcome::kFail);
}

// The client against fake gateways (real sockets on 127.0.0.1): which member each try reached,
// and which answers stand. Every member answers `answer(member, target)`. Targets() lists the
// requests so far as "n2 /v3/kv/put", keepalives left out.
struct FakeGateways {
  explicit FakeGateways(std::function<FakeMembers::Answer(size_t, const std::string&)> answer)
      : members(
            3, [answer](size_t i, const FakeMembers::Request& r) { return answer(i, r.target); }) {}
  std::vector<std::string> Targets() {
    std::vector<std::string> out;
    for (const auto& r : members.TakeRequests()) {
      // Keepalives come on the keeper's own clock; the tests look at the operations' requests.
      if (r.target != "/v3/lease/keepalive") out.push_back(r.member + " " + r.target);
    }
    return out;
  }
  FakeMembers members;
};

const FakeMembers::Answer kUnavailable = {503, R"({"error":"etcdserver: leader changed"})"};

TEST(EtcdClient, ARefusedReadMovesToTheNextMember) {
  // n1 (home of slot 0) cannot serve reads; n2 can.
  FakeGateways g([](size_t i, const std::string&) {
    return i == 0 ? kUnavailable
                  : FakeMembers::Answer{200, R"({"kvs":[{"key":"cjE=","value":"Mw=="}]})"};
  });
  auto c = NewEtcdClient(g.members.addresses(), 0, workloads::Placement::kHome, 1, Api::kGateway);
  records::Reply r = c->Send({{"op", "read"}, {"key", "r1"}}, 2s);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 3);
  EXPECT_EQ(r.node, "n2");
  EXPECT_EQ(g.Targets(), (std::vector<std::string>{"n1 /v3/kv/range", "n2 /v3/kv/range"}));
}

// A write answered 503 may still commit: unknown, and never sent again; a failed compare is the
// operation's own refusal: it stands, not retried either.
TEST(EtcdClient, UnknownWritesAndFailedComparesAreNotRetried) {
  FakeGateways g([](size_t, const std::string& target) {
    return target == "/v3/kv/put" ? kUnavailable
                                  : FakeMembers::Answer{200, R"({"header":{"revision":"3"}})"};
  });
  auto c = NewEtcdClient(g.members.addresses(), 1, workloads::Placement::kHome, 1, Api::kGateway);
  records::Reply w = c->Send({{"op", "write"}, {"key", "r1"}, {"value", 1}}, 2s);
  EXPECT_EQ(w.outcome, Outcome::kUnknown);
  EXPECT_EQ(w.node, "n2");
  EXPECT_EQ(g.Targets(), std::vector<std::string>{"n2 /v3/kv/put"});
  records::Reply cas = c->Send({{"op", "cas"}, {"key", "r1"}, {"expected", 1}, {"value", 2}}, 2s);
  EXPECT_EQ(cas.outcome, Outcome::kFail);
  EXPECT_EQ(cas.refusal, Refusal::kState);
  EXPECT_EQ(g.Targets(), std::vector<std::string>{"n2 /v3/kv/txn"});
  // A command the gateway has no translation for: refused before anything is sent.
  records::Reply bad = c->Send({{"op", "transfer"}, {"key", "a"}}, 2s);  // no accounts
  EXPECT_EQ(bad.refusal, Refusal::kInvalid);
  EXPECT_TRUE(g.Targets().empty());
  bad = c->Send({{"op", "queue-read"}, {"key", "q"}}, 2s);
  EXPECT_EQ(bad.refusal, Refusal::kInvalid);
  EXPECT_TRUE(g.Targets().empty());
}

// A transfer: read both accounts in one transaction, write both in one that holds only if
// neither changed. Another writer got in between: nothing written, read again. A write answered
// 503 may still commit: unknown, never sent again. An account that would go negative: the
// state's refusal, nothing written.
TEST(EtcdClient, ReadModifyWriteStartsOverWhenAKeyChangedAndNeverResendsAnUnknownWrite) {
  std::atomic<int> txns{0};
  std::atomic<int> balance{10};
  FakeGateways g([&](size_t, const std::string&) -> FakeMembers::Answer {
    const int n = txns.fetch_add(1);
    if (n % 2 == 0) {  // the read
      const std::string a0 = Base64Encode(std::to_string(balance.load()));
      return {200,
              R"({"succeeded":true,"responses":[{"response_range":{"kvs":[{"key":"YmFuay9hMA==",)"
              R"("mod_revision":")" +
                  std::to_string(n + 2) + R"(","value":")" + a0 +
                  R"("}]}},{"response_range":{"kvs":[{"key":"YmFuay9hMQ==","mod_revision":"2",)"
                  R"("value":"NQ=="}]}}]})"};
    }
    if (n == 1) return {200, R"({"header":{"revision":"9"}})"};  // a0 changed meanwhile
    if (n == 3) return {200, R"({"succeeded":true})"};
    return kUnavailable;
  });
  auto c = NewEtcdClient(g.members.addresses(), 0, workloads::Placement::kHome, 1, Api::kGateway);
  const json transfer = {{"op", "transfer"}, {"from", "a0"}, {"to", "a1"}, {"amount", 4}};
  records::Reply ok = c->Send(transfer, 2s);
  EXPECT_EQ(ok.outcome, Outcome::kOk) << ok.error;
  EXPECT_EQ(ok.value, json({{"from", 6}, {"to", 9}}));
  EXPECT_EQ(g.Targets(), (std::vector<std::string>(4, "n1 /v3/kv/txn")));
  records::Reply unknown = c->Send(transfer, 2s);
  EXPECT_EQ(unknown.outcome, Outcome::kUnknown);
  EXPECT_EQ(g.Targets().size(), 2u);  // read, write: not again
  balance = 3;
  records::Reply refused = c->Send(transfer, 2s);
  EXPECT_EQ(refused.outcome, Outcome::kFail);
  EXPECT_EQ(refused.refusal, Refusal::kState);
  EXPECT_NE(refused.error.find("negative"), std::string::npos) << refused.error;
  EXPECT_EQ(g.Targets().size(), 1u);  // the read only
}

// acquire: a lease (retried on the next member after a refusal), then the lock through the
// member that granted it; the token is the revision. release: unlock, then the lease revoked.
TEST(EtcdClient, LockTakesALeaseThenTheLockAndReleaseRevokesIt) {
  std::atomic<int> grants{0};
  FakeGateways g([&](size_t i, const std::string& target) -> FakeMembers::Answer {
    if (target == "/v3/lease/grant") {
      if (i == 0) return kUnavailable;
      grants++;
      return {200, R"({"ID":"7587","TTL":"2"})"};
    }
    if (target == "/v3/lock/lock") return {200, R"({"header":{"revision":"12"},"key":"bDAvMQ=="})"};
    if (target == "/v3/lock/unlock") return {200, R"({"header":{"revision":"13"}})"};
    if (target == "/v3/lease/revoke") return {200, R"({"header":{}})"};
    if (target == "/v3/lease/keepalive") return {200, R"({"result":{"ID":"7587","TTL":"2"}})"};
    return {404, R"({"error":"not found"})"};
  });
  auto c = NewEtcdClient(g.members.addresses(), 0, workloads::Placement::kHome, 1, Api::kGateway);
  const json acquire = {{"op", "acquire"}, {"key", "l0"}, {"owner", "p0"}, {"ttl_ms", 2000}};
  records::Reply got = c->Send(acquire, 2s);
  ASSERT_TRUE(got.ok()) << got.error;
  EXPECT_EQ(got.value, 12);
  EXPECT_EQ(got.node, "n2");
  EXPECT_EQ(grants.load(), 1);
  EXPECT_EQ(g.Targets(), (std::vector<std::string>{"n1 /v3/lease/grant", "n2 /v3/lease/grant",
                                                   "n2 /v3/lock/lock"}));
  // A second acquire by the holder, and a release of another token: the operation's own
  // refusals, answered without a request.
  EXPECT_EQ(c->Send(acquire, 2s).refusal, Refusal::kState);
  const json wrong = {{"op", "release"}, {"key", "l0"}, {"owner", "p0"}, {"token", 11}};
  EXPECT_EQ(c->Send(wrong, 2s).refusal, Refusal::kState);
  EXPECT_TRUE(g.Targets().empty());
  // Home placement: the release begins at n1 again, whose unlock is served.
  const json release = {{"op", "release"}, {"key", "l0"}, {"owner", "p0"}, {"token", 12}};
  records::Reply rel = c->Send(release, 2s);
  EXPECT_TRUE(rel.ok()) << rel.error;
  c.reset();  // joins the keeper, which revokes the lease on its way out
  auto targets = g.Targets();
  ASSERT_GE(targets.size(), 2u);
  EXPECT_EQ(targets.front(), "n1 /v3/lock/unlock");
  EXPECT_EQ(targets.back(), "n2 /v3/lease/revoke");  // through the member that granted it
}

}  // namespace
}  // namespace splitbrain::clients::etcd

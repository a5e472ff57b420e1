// The etcd client over gRPC, without etcd: an in-process gRPC server speaking our subset of
// etcd's API (clients/etcd/*.proto) stands in for a member, so what is asserted is what crosses
// the wire — the gateway's JSON made into etcd's messages and their answers read back — and how
// gRPC's failures map to outcomes. harness_etcd_run_test runs the real thing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "clients/etcd/rpc.grpc.pb.h"
#include "clients/etcd/v3lock.grpc.pb.h"
#include "clients/etcd_client.h"

namespace splitbrain::clients::etcd {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using records::Outcome;
using records::Refusal;

// A key-value store of one member: values and each key's mod_revision; `fault`, when not OK,
// answers every call (after `delay`) instead.
class FakeKv : public etcdserverpb::KV::Service {
 public:
  grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest* q,
                     etcdserverpb::RangeResponse* a) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!fault.ok()) return fault;
    ReadInto(q->key(), a);
    return grpc::Status::OK;
  }
  grpc::Status Put(grpc::ServerContext*, const etcdserverpb::PutRequest* q,
                   etcdserverpb::PutResponse*) override {
    std::this_thread::sleep_for(delay);
    std::lock_guard<std::mutex> lock(mu);
    if (!fault.ok()) return fault;
    Write(q->key(), q->value());
    return grpc::Status::OK;
  }
  grpc::Status Txn(grpc::ServerContext*, const etcdserverpb::TxnRequest* q,
                   etcdserverpb::TxnResponse* a) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!fault.ok()) return fault;
    txns.push_back(*q);
    bool holds = true;
    for (const auto& c : q->compare()) {
      EXPECT_EQ(c.result(), etcdserverpb::Compare::EQUAL);
      if (c.target() == etcdserverpb::Compare::VALUE) {
        holds = holds && values.count(c.key()) && values[c.key()] == c.value();
      } else if (c.target() == etcdserverpb::Compare::MOD) {
        holds = holds && mod[c.key()] == c.mod_revision();
      } else {
        ADD_FAILURE() << "a compare on " << c.target();
      }
    }
    a->set_succeeded(holds);
    for (const auto& op : holds ? q->success() : q->failure()) {
      if (op.has_request_put()) Write(op.request_put().key(), op.request_put().value());
      if (op.has_request_range()) {
        ReadInto(op.request_range().key(), a->add_responses()->mutable_response_range());
      }
    }
    return grpc::Status::OK;
  }

  std::mutex mu;
  grpc::Status fault = grpc::Status::OK;
  std::chrono::milliseconds delay{0};
  std::map<std::string, std::string> values;
  std::map<std::string, int64_t> mod;
  int64_t revision = 1;
  std::vector<etcdserverpb::TxnRequest> txns;

 private:
  void Write(const std::string& key, const std::string& value) {
    values[key] = value;
    mod[key] = ++revision;
  }
  void ReadInto(const std::string& key, etcdserverpb::RangeResponse* a) {
    a->mutable_header()->set_revision(revision);
    if (!values.count(key)) return;
    auto* kv = a->add_kvs();
    kv->set_key(key);
    kv->set_value(values[key]);
    kv->set_mod_revision(mod[key]);
  }
};

// Leases: every grant is lease 7587; keepalives are counted per stream.
class FakeLease : public etcdserverpb::Lease::Service {
 public:
  grpc::Status LeaseGrant(grpc::ServerContext*, const etcdserverpb::LeaseGrantRequest* q,
                          etcdserverpb::LeaseGrantResponse* a) override {
    a->set_id(7587);
    a->set_ttl(q->ttl());
    return grpc::Status::OK;
  }
  grpc::Status LeaseRevoke(grpc::ServerContext*, const etcdserverpb::LeaseRevokeRequest* q,
                           etcdserverpb::LeaseRevokeResponse*) override {
    if (q->id() == 7587) revokes++;
    return grpc::Status::OK;
  }
  grpc::Status LeaseKeepAlive(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<etcdserverpb::LeaseKeepAliveResponse,
                               etcdserverpb::LeaseKeepAliveRequest>* stream) override {
    streams++;
    etcdserverpb::LeaseKeepAliveRequest q;
    while (stream->Read(&q)) {
      if (q.id() == 7587) keepalives++;
      etcdserverpb::LeaseKeepAliveResponse a;
      a.set_id(q.id());
      a.set_ttl(2);
      if (!stream->Write(a)) break;
    }
    return grpc::Status::OK;
  }

  std::atomic<int> streams{0}, keepalives{0}, revokes{0};
};

class FakeLock : public v3lockpb::Lock::Service {
 public:
  grpc::Status Lock(grpc::ServerContext*, const v3lockpb::LockRequest* q,
                    v3lockpb::LockResponse* a) override {
    EXPECT_EQ(q->lease(), 7587);
    a->mutable_header()->set_revision(12);
    a->set_key(q->name() + "/1d9f");
    return grpc::Status::OK;
  }
  grpc::Status Unlock(grpc::ServerContext*, const v3lockpb::UnlockRequest* q,
                      v3lockpb::UnlockResponse*) override {
    unlocked = q->key();
    return grpc::Status::OK;
  }
  std::string unlocked;
};

// One fake member on 127.0.0.1.
struct FakeMember {
  FakeMember() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&kv);
    b.RegisterService(&lease);
    b.RegisterService(&lock);
    server = b.BuildAndStart();
  }
  ~FakeMember() { server->Shutdown(std::chrono::system_clock::now() + 1s); }
  std::vector<workloads::NodeAddress> members() const {
    return {{"n1", "127.0.0.1:" + std::to_string(port)}};
  }
  std::unique_ptr<workloads::Client> Client() const {
    return NewEtcdClient(members(), 0, workloads::Placement::kHome, 1, Api::kGrpc);
  }

  FakeKv kv;
  FakeLease lease;
  FakeLock lock;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

TEST(EtcdGrpc, GrpcFailuresMapAsTheGatewaysAnswers) {
  const json write = {{"op", "write"}, {"key", "r"}, {"value", 1}};
  const json read = {{"op", "read"}, {"key", "r"}};
  auto outcome = [](const json& command, grpc::StatusCode code, bool sent) {
    return ReplyFor(command, GatewayReplyFor(static_cast<int>(code), "etcdserver: x", sent));
  };
  // Never reached the member: certainly not applied, and another member may take it.
  for (const json& c : {write, read}) {
    records::Reply r = outcome(c, grpc::StatusCode::UNAVAILABLE, /*sent=*/false);
    EXPECT_EQ(r.outcome, Outcome::kFail) << c;
    EXPECT_EQ(r.refusal, Refusal::kMember) << c;
  }
  // Sent: a write that timed out, lost its leader or was cancelled may still be applied.
  for (auto code : {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED,
                    grpc::StatusCode::CANCELLED, grpc::StatusCode::UNKNOWN}) {
    EXPECT_EQ(outcome(write, code, true).outcome, Outcome::kUnknown) << code;
    // A read has no effect: it fails, and may go to the next member.
    records::Reply r = outcome(read, code, true);
    EXPECT_EQ(r.outcome, Outcome::kFail) << code;
    EXPECT_EQ(r.refusal, Refusal::kMember) << code;
  }
  // etcd's refusals before proposing: the operation's own.
  EXPECT_EQ(outcome(write, grpc::StatusCode::INVALID_ARGUMENT, true).refusal, Refusal::kInvalid);
  EXPECT_EQ(outcome(write, grpc::StatusCode::NOT_FOUND, true).outcome, Outcome::kFail);
  EXPECT_EQ(outcome(write, grpc::StatusCode::RESOURCE_EXHAUSTED, true).refusal, Refusal::kMember);
  EXPECT_EQ(outcome(write, grpc::StatusCode::UNAVAILABLE, true).error, "etcdserver: x");
}

TEST(EtcdGrpc, RegisterCommandsCrossTheWireAsEtcdsMessages) {
  FakeMember m;
  auto c = m.Client();
  records::Reply r = c->Send({{"op", "read"}, {"key", "r1"}}, 2s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.node, "n1");
  ASSERT_TRUE(c->Send({{"op", "write"}, {"key", "r1"}, {"value", 3}}, 2s).ok());
  EXPECT_EQ(m.kv.values["r1"], "3");  // the raw bytes, not base64
  r = c->Send({{"op", "read"}, {"key", "r1"}}, 2s);
  EXPECT_EQ(r.value, 3);
  r = c->Send({{"op", "cas"}, {"key", "r1"}, {"expected", 3}, {"value", 4}}, 2s);
  EXPECT_TRUE(r.ok()) << r.error;
  r = c->Send({{"op", "cas"}, {"key", "r1"}, {"expected", 3}, {"value", 5}}, 2s);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.refusal, Refusal::kState);
  ASSERT_EQ(m.kv.txns.size(), 2u);
  ASSERT_EQ(m.kv.txns[1].compare_size(), 1);
  EXPECT_EQ(m.kv.txns[1].compare(0).target(), etcdserverpb::Compare::VALUE);
  EXPECT_EQ(m.kv.txns[1].compare(0).value(), "3");
  EXPECT_EQ(c->Send({{"op", "read"}, {"key", "r1"}}, 2s).value, 4);
}

// The read-modify-write compares each key's mod_revision as read: the answer's revisions must
// come back under etcd's own field names for the write to hold.
TEST(EtcdGrpc, ReadModifyWritesCompareTheRevisionsTheyRead) {
  FakeMember m;
  auto c = m.Client();
  for (int i = 0; i < 2; ++i) {
    records::Reply r = c->Send({{"op", "counter-add"}, {"key", "c"}, {"value", 2}}, 2s);
    ASSERT_TRUE(r.ok()) << r.error;
  }
  EXPECT_EQ(c->Send({{"op", "counter-read"}, {"key", "c"}}, 2s).value, 4);
  ASSERT_EQ(m.kv.txns.size(), 4u);  // read, write, read, write
  EXPECT_EQ(m.kv.txns[3].compare(0).target(), etcdserverpb::Compare::MOD);
  EXPECT_EQ(m.kv.txns[3].compare(0).mod_revision(), m.kv.mod["c"] - 1);
}

TEST(EtcdGrpc, AWriteSentIsUnknownWhenItFailsAndAMemberNeverReachedIsAFail) {
  FakeMember m;
  auto c = m.Client();
  m.kv.fault = grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out");
  records::Reply w = c->Send({{"op", "write"}, {"key", "r1"}, {"value", 1}}, 2s);
  EXPECT_EQ(w.outcome, Outcome::kUnknown);
  EXPECT_EQ(w.error, "etcdserver: request timed out");
  records::Reply r = c->Send({{"op", "read"}, {"key", "r1"}}, 300ms);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  m.kv.fault = grpc::Status::OK;
  m.kv.delay = 600ms;  // past the deadline
  w = c->Send({{"op", "write"}, {"key", "r1"}, {"value", 1}}, 200ms);
  EXPECT_EQ(w.outcome, Outcome::kUnknown) << w.error;
  // Nobody listens: the request never left, whatever the op.
  const int port = m.port;
  m.server->Shutdown(std::chrono::system_clock::now());
  m.server->Wait();
  auto gone = NewEtcdClient({{"n1", "127.0.0.1:" + std::to_string(port)}}, 0,
                            workloads::Placement::kHome, 1, Api::kGrpc);
  w = gone->Send({{"op", "write"}, {"key", "r1"}, {"value", 1}}, 300ms);
  EXPECT_EQ(w.outcome, Outcome::kFail) << w.error;
  EXPECT_EQ(w.refusal, Refusal::kMember);
}

// The lock's lease is kept alive over one LeaseKeepAlive stream, a request every TTL/3, as the
// Go client's; the release unlocks the key the lock answered and revokes the lease.
TEST(EtcdGrpc, TheLocksLeaseIsKeptAliveOverOneStream) {
  FakeMember m;
  auto c = m.Client();
  records::Reply got =
      c->Send({{"op", "acquire"}, {"key", "l0"}, {"owner", "p0"}, {"ttl_ms", 1000}}, 2s);
  ASSERT_TRUE(got.ok()) << got.error;
  EXPECT_EQ(got.value, 12);
  std::this_thread::sleep_for(1200ms);  // TTL 1 s: a keepalive every 333 ms
  EXPECT_EQ(m.lease.streams.load(), 1);
  EXPECT_GE(m.lease.keepalives.load(), 3);
  records::Reply rel =
      c->Send({{"op", "release"}, {"key", "l0"}, {"owner", "p0"}, {"token", 12}}, 2s);
  EXPECT_TRUE(rel.ok()) << rel.error;
  EXPECT_EQ(m.lock.unlocked, "l0/1d9f");
  c.reset();  // joins the keeper, which revokes the lease on its way out
  EXPECT_EQ(m.lease.revokes.load(), 1);
}

}  // namespace
}  // namespace splitbrain::clients::etcd

// The etcd client over gRPC, without etcd: an in-process gRPC server speaking our subset of
// etcd's API (clients/etcd/*.proto) stands in for a member, so what is asserted is what crosses
// the wire — the gateway's JSON made into etcd's messages and their answers read back — and how
// gRPC's failures map to outcomes. harness_run_test (etcd_run_test.cc) runs the real thing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
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

// The cluster as etcd 3.4 lists it (two members, the second added and not started yet: no
// name), and a status naming member 1 as the leader.
class FakeCluster : public etcdserverpb::Cluster::Service {
 public:
  grpc::Status MemberList(grpc::ServerContext*, const etcdserverpb::MemberListRequest*,
                          etcdserverpb::MemberListResponse* a) override {
    a->mutable_header()->set_member_id(1);
    auto* m = a->add_members();
    m->set_id(1);
    m->set_name("n1");
    m->add_peerurls("http://10.77.0.11:2380");
    m = a->add_members();
    m->set_id(18446744073709551615ull);  // a uint64 past int64: JSON keeps it as text
    m->add_peerurls("http://10.77.0.12:2380");
    return grpc::Status::OK;
  }
  grpc::Status MemberRemove(grpc::ServerContext*, const etcdserverpb::MemberRemoveRequest* q,
                            etcdserverpb::MemberRemoveResponse*) override {
    if (q->id() != 18446744073709551615ull) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "etcdserver: unhealthy cluster");
    }
    removed = q->id();
    return grpc::Status::OK;
  }
  uint64_t removed = 0;
};
class FakeMaintenance : public etcdserverpb::Maintenance::Service {
 public:
  grpc::Status Status(grpc::ServerContext*, const etcdserverpb::StatusRequest*,
                      etcdserverpb::StatusResponse* a) override {
    a->mutable_header()->set_member_id(1);
    a->set_leader(1);
    a->set_raftterm(4);
    a->set_version("3.4.23");
    return grpc::Status::OK;
  }
};

// One fake member on 127.0.0.1.
struct FakeMember {
  FakeMember() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    // The keepalive test's pings every 300 ms are welcome (etcd's own floor is 5 s).
    b.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    b.RegisterService(&kv);
    b.RegisterService(&lease);
    b.RegisterService(&lock);
    b.RegisterService(&cluster);
    b.RegisterService(&maintenance);
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
  FakeCluster cluster;
  FakeMaintenance maintenance;
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

// The harness's calls (harness/systems/etcd.cc) over gRPC: the cluster's members and a member's
// status come back as the gateway's JSON (64-bit IDs as decimal text, etcd's field names), and a
// removal takes the ID as that text; etcd's refusal carries its words.
TEST(EtcdGrpc, MembershipAndStatusCallsCrossTheWireAsEtcdsMessages) {
  FakeMember m;
  auto t = NewGrpcTransport("127.0.0.1:" + std::to_string(m.port));
  node::Reply list = t->Call("/v3/cluster/member/list", json::object(), 2s);
  ASSERT_EQ(list.http_status, 200) << list.error;
  ASSERT_EQ(list.body["members"].size(), 2u) << list.body;
  EXPECT_EQ(list.body["members"][0]["ID"], "1");
  EXPECT_EQ(list.body["members"][0]["name"], "n1");
  EXPECT_EQ(list.body["members"][0]["peerURLs"][0], "http://10.77.0.11:2380");
  EXPECT_FALSE(list.body["members"][1].contains("name"));
  EXPECT_EQ(list.body["members"][1]["ID"], "18446744073709551615");
  node::Reply gone = t->Call("/v3/cluster/member/remove", {{"ID", "18446744073709551615"}}, 2s);
  EXPECT_EQ(gone.http_status, 200) << gone.error;
  EXPECT_EQ(m.cluster.removed, 18446744073709551615ull);
  node::Reply refused = t->Call("/v3/cluster/member/remove", {{"ID", "1"}}, 2s);
  EXPECT_EQ(refused.http_status, 400);
  EXPECT_EQ(ErrorText(refused), "etcdserver: unhealthy cluster");
  node::Reply st = t->Call("/v3/maintenance/status", json::object(), 2s);
  ASSERT_EQ(st.http_status, 200) << st.error;
  EXPECT_EQ(st.body["header"]["member_id"], "1");
  EXPECT_EQ(st.body["leader"], "1");
  EXPECT_EQ(st.body["raftTerm"], "4");
  EXPECT_EQ(st.body["version"], "3.4.23");
}

// A TCP relay in front of a member that can stop relaying, as a paused member does: its kernel
// still takes connections (the listen backlog) and bytes (socket buffers), but nothing is
// answered — not even HTTP/2's pings.
class Relay {
 public:
  explicit Relay(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = Loopback(0);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~Relay() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
    close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Freeze() { frozen_ = true; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return a;
  }
  void Run() {
    while (!stop_) {
      if (frozen_) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      std::vector<pollfd> p = {{listen_fd_, POLLIN, 0}};
      for (int fd : fds_) p.push_back({fd, POLLIN, 0});
      if (poll(p.data(), p.size(), 10) <= 0) continue;
      if (p[0].revents & POLLIN) {
        const int in = accept(listen_fd_, nullptr, nullptr);
        const int out = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a = Loopback(upstream_port_);
        if (connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          fds_.push_back(in);
          fds_.push_back(out);
        } else {
          close(in);
          close(out);
        }
      }
      for (size_t i = 1; i < p.size(); ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
        const size_t k = i - 1;
        const int from = fds_[k], to = fds_[k ^ 1];  // pairs: (client, member)
        char buf[65536];
        const ssize_t n = read(from, buf, sizeof buf);
        if (n > 0) {
          (void)!write(to, buf, static_cast<size_t>(n));
        } else {  // this side is done: so is the other's writing (poll skips a negative fd)
          shutdown(to, SHUT_WR);
          close(from);
          fds_[k] = -1;
        }
      }
    }
  }

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> fds_;  // the relay's thread's: client and member side of each connection
  std::atomic<bool> frozen_{false}, stop_{false};
  std::thread thread_;
};

// A member that stops answering on a connection that is up (SIGSTOP, the pause fault) is noticed
// by the channel's keepalive — a ping not acknowledged closes the connection — and the client
// moves to the next member, as the Go client's balancer leaves a connection its keepalive
// closed. Without the keepalive the client waits out every operation's deadline on the paused
// member: a read fails there, a write is unknown, for as long as the pause lasts.
TEST(EtcdGrpc, AMemberThatStopsAnsweringIsLeftOnceTheKeepaliveNoticesIt) {
  FakeMember paused, other;
  other.kv.values["r1"] = "2";
  Relay relay(paused.port);
  auto c =
      NewEtcdClient({{"n1", relay.address()}, {"n2", "127.0.0.1:" + std::to_string(other.port)}}, 0,
                    workloads::Placement::kHome, 1, Api::kGrpc, GrpcKeepalive{300ms, 300ms});
  records::Reply r = c->Send({{"op", "write"}, {"key", "r1"}, {"value", 1}}, 2s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.node, "n1");
  relay.Freeze();
  // Reads of 1 s each: those sent to n1 hang until the keepalive (a ping while the call is open,
  // unanswered for 300 ms) closes the connection; the read then goes on at n2. Without the
  // keepalive none ever would: each waits its deadline out on n1's connection, which stays up.
  const auto frozen = std::chrono::steady_clock::now();
  int reads = 0;
  do {
    r = c->Send({{"op", "read"}, {"key", "r1"}}, 1s);
    ++reads;
  } while (!r.ok() && std::chrono::steady_clock::now() - frozen < 5s);
  ASSERT_TRUE(r.ok()) << reads << " reads in 5 s, the last: " << r.error;
  EXPECT_EQ(r.node, "n2");
  EXPECT_EQ(r.value, 2);
  std::cout << "answered by n2 after " << reads << " read(s), "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - frozen)
                   .count()
            << " ms after the freeze\n";
  // Later operations begin at home, n1, again (the placement): a new connection that brings no
  // HTTP/2 SETTINGS is given up within the connect timeout, and they too are answered by n2
  // before their deadline.
  for (int i = 0; i < 3; ++i) {
    r = c->Send({{"op", "read"}, {"key", "r1"}}, 1s);
    EXPECT_TRUE(r.ok()) << i << ": " << r.error;
    EXPECT_EQ(r.node, "n2") << i;
  }
}

}  // namespace
}  // namespace splitbrain::clients::etcd

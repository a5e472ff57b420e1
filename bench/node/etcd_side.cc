#include "bench/node/etcd_side.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "clients/etcd/rpc.grpc.pb.h"

namespace splitbrain::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kCallDeadline = std::chrono::seconds(5);

enum class Result { kOk, kUnknown, kFail };

// As the harness's etcd client reads a status: an answer that may or may not have been applied
// is unknown, a refusal a fail.
Result FromStatus(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return Result::kOk;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::CANCELLED:
      return Result::kUnknown;
    default:
      return Result::kFail;
  }
}

void Count(LevelResult& out, Result r, bool read, SteadyClock::time_point t0,
           SteadyClock::time_point t1) {
  if (r == Result::kOk) {
    AddLatency(out, read, std::chrono::duration<double, std::milli>(t1 - t0).count());
  } else if (r == Result::kUnknown) {
    ++out.unknown;
  } else {
    ++out.fail;
  }
}

// Own connection or not: gRPC lets channels to one address with equal arguments share one
// subchannel (one HTTP/2 connection, as a Go client's calls share its connection to an
// endpoint) unless each channel keeps a subchannel pool of its own.
std::unique_ptr<etcdserverpb::KV::Stub> NewStub(const std::string& target, bool own_connection) {
  grpc::ChannelArguments args;
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return etcdserverpb::KV::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
}

LevelResult RunThreads(const std::vector<std::string>& targets, int clients, int seconds,
                       const Mix& mix, bool own) {
  std::atomic<bool> stop{false};
  std::vector<LevelResult> parts(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  const auto start = SteadyClock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = NewStub(targets[static_cast<size_t>(c) % targets.size()], own);
      LevelResult& out = parts[static_cast<size_t>(c)];
      uint64_t n = 0, x = Seed(c);
      while (!stop.load(std::memory_order_relaxed)) {
        const BenchOp op = mix.Next(c, &x, &n);
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
        const auto t0 = SteadyClock::now();
        grpc::Status s;
        if (op.read) {
          etcdserverpb::RangeRequest req;
          req.set_key(op.key);
          etcdserverpb::RangeResponse res;
          s = stub->Range(&ctx, req, &res);
        } else {
          etcdserverpb::PutRequest req;
          req.set_key(op.key);
          req.set_value(*mix.value);
          etcdserverpb::PutResponse res;
          s = stub->Put(&ctx, req, &res);
        }
        Count(out, FromStatus(s), op.read, t0, SteadyClock::now());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return Merge(parts, start);
}

// One client of the multiplexed driver: its call in flight and what it needs for the next.
struct AsyncClient {
  int c = 0;
  uint64_t x = 0, n = 0;
  bool read = false;  // the call out
  std::unique_ptr<etcdserverpb::KV::Stub> stub;
  std::unique_ptr<grpc::ClientContext> ctx;
  etcdserverpb::RangeRequest range_req;
  etcdserverpb::RangeResponse range_res;
  etcdserverpb::PutRequest put_req;
  etcdserverpb::PutResponse put_res;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::RangeResponse>> range_call;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> put_call;
  grpc::Status status;
  SteadyClock::time_point t0;
};

void StartCall(AsyncClient& a, const Mix& mix, grpc::CompletionQueue* cq) {
  const BenchOp op = mix.Next(a.c, &a.x, &a.n);
  a.ctx = std::make_unique<grpc::ClientContext>();
  a.ctx->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
  a.t0 = SteadyClock::now();
  a.read = op.read;
  if (op.read) {
    a.range_req.set_key(op.key);
    a.range_call = a.stub->AsyncRange(a.ctx.get(), a.range_req, cq);
    a.range_call->Finish(&a.range_res, &a.status, &a);
  } else {
    a.put_req.set_key(op.key);
    a.put_req.set_value(*mix.value);
    a.put_call = a.stub->AsyncPut(a.ctx.get(), a.put_req, cq);
    a.put_call->Finish(&a.put_res, &a.status, &a);
  }
}

LevelResult RunMux(const std::vector<std::string>& targets, int clients, int seconds,
                   const Mix& mix, int loops, bool own) {
  std::atomic<bool> stop{false};
  std::vector<LevelResult> parts(static_cast<size_t>(loops));
  std::vector<std::thread> threads;
  const auto start = SteadyClock::now();
  for (int l = 0; l < loops; ++l) {
    threads.emplace_back([&, l] {
      LevelResult& out = parts[static_cast<size_t>(l)];
      grpc::CompletionQueue cq;
      std::vector<std::unique_ptr<AsyncClient>> mine;
      for (int c = l; c < clients; c += loops) {
        auto a = std::make_unique<AsyncClient>();
        a->c = c;
        a->x = Seed(c);
        a->stub = NewStub(targets[static_cast<size_t>(c) % targets.size()], own);
        mine.push_back(std::move(a));
      }
      for (auto& a : mine) StartCall(*a, mix, &cq);
      size_t in_flight = mine.size();
      while (in_flight > 0) {
        void* tag = nullptr;
        bool ok = false;
        const auto got = cq.AsyncNext(
            &tag, &ok, std::chrono::system_clock::now() + std::chrono::milliseconds(100));
        if (got == grpc::CompletionQueue::SHUTDOWN) break;
        if (got == grpc::CompletionQueue::TIMEOUT) continue;
        AsyncClient& a = *static_cast<AsyncClient*>(tag);
        const auto t1 = SteadyClock::now();
        // Once stopped, no new call; the calls still out are waited for and counted, as the
        // thread driver finishes and counts the call it is in.
        Count(out, ok ? FromStatus(a.status) : Result::kUnknown, a.read, a.t0, t1);
        if (stop.load(std::memory_order_relaxed)) {
          --in_flight;
        } else {
          StartCall(a, mix, &cq);
        }
      }
      cq.Shutdown();
      void* tag = nullptr;
      bool ok = false;
      while (cq.Next(&tag, &ok)) {
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return Merge(parts, start);
}

}  // namespace

EtcdCluster::EtcdCluster(std::string binary, std::string dir, int base_port)
    : binary_(std::move(binary)), dir_(std::move(dir)), base_port_(base_port) {}

EtcdCluster::~EtcdCluster() {
  for (pid_t p : pids_) ::kill(p, SIGTERM);
  for (pid_t p : pids_) {
    int status = 0;
    bool gone = false;
    for (int i = 0; i < 500 && !gone; ++i) {
      gone = ::waitpid(p, &status, WNOHANG) == p;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!gone) {
      ::kill(p, SIGKILL);
      ::waitpid(p, &status, 0);
    }
  }
}

std::string EtcdCluster::ClientAddress(int i) const {
  return "127.0.0.1:" + std::to_string(base_port_ + 2 * i);
}

std::string EtcdCluster::Start() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return "cannot create " + dir_ + ": " + ec.message();
  auto peer = [&](int i) { return "http://127.0.0.1:" + std::to_string(base_port_ + 2 * i + 1); };
  std::string cluster;
  for (int i = 0; i < size(); ++i) cluster += (i ? "," : "") + Name(i) + "=" + peer(i);
  for (int i = 0; i < size(); ++i) {
    const std::string client = "http://" + ClientAddress(i);
    std::vector<std::string> args = {binary_,
                                     "--name",
                                     Name(i),
                                     "--data-dir",
                                     dir_ + "/" + Name(i),
                                     "--listen-peer-urls",
                                     peer(i),
                                     "--initial-advertise-peer-urls",
                                     peer(i),
                                     "--listen-client-urls",
                                     client,
                                     "--advertise-client-urls",
                                     client,
                                     "--initial-cluster",
                                     cluster,
                                     "--initial-cluster-token",
                                     "node-bench",
                                     "--initial-cluster-state",
                                     "new",
                                     "--logger",
                                     "zap",
                                     "--log-outputs",
                                     "stderr",
                                     "--enable-grpc-gateway=false"};
    const std::string log = dir_ + "/" + Name(i) + ".log";
    const pid_t pid = ::fork();
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the bench
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::perror("execv");
      ::_exit(127);
    }
    pids_.push_back(pid);
  }
  return "";
}

int EtcdCluster::WaitForLeader(int seconds) {
  std::vector<std::unique_ptr<etcdserverpb::Maintenance::Stub>> stubs;
  for (int i = 0; i < size(); ++i) {
    stubs.push_back(etcdserverpb::Maintenance::NewStub(
        grpc::CreateChannel(ClientAddress(i), grpc::InsecureChannelCredentials())));
  }
  const auto end = SteadyClock::now() + std::chrono::seconds(seconds);
  while (SteadyClock::now() < end) {
    std::map<uint64_t, int> index_of;  // member id -> index
    uint64_t leader = 0;
    bool agree = true;
    for (int i = 0; i < size() && agree; ++i) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      etcdserverpb::StatusResponse res;
      if (!stubs[static_cast<size_t>(i)]->Status(&ctx, etcdserverpb::StatusRequest(), &res).ok() ||
          res.leader() == 0 || (leader != 0 && res.leader() != leader)) {
        agree = false;
        break;
      }
      leader = res.leader();
      index_of[res.header().member_id()] = i;
    }
    if (agree && index_of.count(leader)) return index_of[leader];
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

LevelResult RunEtcd(const std::vector<std::string>& targets, int clients, int seconds,
                    const Mix& mix, int loops, bool own_connections) {
  return loops == 0 ? RunThreads(targets, clients, seconds, mix, own_connections)
                    : RunMux(targets, clients, seconds, mix, loops, own_connections);
}

}  // namespace splitbrain::bench

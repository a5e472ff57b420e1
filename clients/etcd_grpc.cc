// The etcd client's gRPC transport (clients/etcd_client.h): each gateway path's call made as the
// gRPC call behind it, the JSON body parsed into etcd's request message and the response printed
// back as JSON as protobuf's JSON mapping prints it — the mapping grpc-gateway itself applies, so
// what the client reads is what the gateway would have answered, and one translation serves both.
// The KV calls the workloads make are mapped by hand (etcd_messages.h: the mapping took a quarter
// of the harness's CPU an operation), the rest by the mapping itself.
#include <grpcpp/grpcpp.h>

#include <google/protobuf/util/json_util.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>

#include "clients/etcd/rpc.grpc.pb.h"
#include "clients/etcd/v3lock.grpc.pb.h"
#include "clients/etcd_client.h"
#include "clients/etcd_messages.h"
#include "common/log.h"

namespace splitbrain::clients::etcd {
using nlohmann::json;
using records::Outcome;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

// grpc-gateway's HTTPStatusFromCode (runtime/errors.go), which etcd 3.4's gateway answers with.
int GatewayStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS; CANCELLED (see GatewayReplyFor)
      return 500;
  }
}

}  // namespace

node::Reply GatewayReplyFor(int grpc_code, const std::string& message, bool sent, json body) {
  node::Reply r;
  const auto code = static_cast<grpc::StatusCode>(grpc_code);
  if (code == grpc::StatusCode::OK) {
    r.outcome = Outcome::kOk;
    r.http_status = 200;
    r.body = std::move(body);
    return r;
  }
  r.error = message;
  if (!sent) {
    // The channel never reached the member: nothing was sent.
    r.outcome = Outcome::kFail;
    return r;
  }
  r.http_status = GatewayStatus(code);
  r.outcome = r.http_status < 500 ? Outcome::kFail : Outcome::kUnknown;
  r.body = {{"error", message}, {"code", grpc_code}};
  return r;
}

namespace {

// gRPC takes deadlines on the system clock only.
std::chrono::system_clock::time_point SystemDeadline(SteadyClock::time_point deadline) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline -
                                                                         SteadyClock::now());
}

// A lease ID as the gateway writes it (decimal text); 0 (no lease) when it is not one.
int64_t LeaseId(const std::string& text) {
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, GrpcKeepalive keepalive) {
  grpc::ChannelArguments args;
  // A member that comes back is reached again within a second, not after gRPC's default
  // backoff of up to two minutes. (gRPC also takes the minimum as the least time a connection
  // attempt is given: 100 ms, more as the backoff grows, so a member that takes the TCP
  // connection but never answers it — a paused one — is given up within a second.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Keepalive as the Go client's DialKeepAliveTime / DialKeepAliveTimeout: a connection whose
  // member stopped answering (paused, or cut off by a partition that drops its packets) is
  // closed when a ping is not acknowledged in time, its calls end UNAVAILABLE, and the channel
  // leaves READY, so the next operation moves on (Connected below) instead of waiting out its
  // deadline on a member that is gone. Pings only while calls are open: etcd's server enforces
  // its --grpc-keepalive-min-time (5 s) with PermitWithoutStream false, and answers pings on an
  // idle connection, or more often than that, with GOAWAY ENHANCE_YOUR_CALM.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(keepalive.time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(keepalive.timeout.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// Keeps one lease alive over a LeaseKeepAlive stream, as the Go client's lessor does: a request
// every TTL/3, each answered with the lease's remaining TTL; a broken stream is opened again
// after a pause (the Go client's 500 ms) until stopped or etcd says the lease is gone.
class GrpcLeaseKeeper : public LeaseKeeper {
 public:
  GrpcLeaseKeeper(std::shared_ptr<grpc::Channel> channel, std::string lease, int64_t ttl_s,
                  std::string name)
      : channel_(std::move(channel)),
        lease_(std::move(lease)),
        name_(std::move(name)),
        period_(std::max<int64_t>(100, ttl_s * 1000 / 3)),
        thread_([this] { Run(); }) {}
  ~GrpcLeaseKeeper() override {
    Halt(/*set_revoke=*/false, false);
    thread_.join();
  }
  void Stop(bool revoke) override { Halt(true, revoke); }

 private:
  void Halt(bool set_revoke, bool revoke) {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (set_revoke) revoke_ = revoke;
    if (context_ != nullptr) context_->TryCancel();  // ends a Read waiting for an answer
    cv_.notify_all();
  }

  // Sleeps `d` unless stopped first; true when stopped.
  bool Pause(milliseconds d) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, d, [this] { return stop_; });
  }

  // One stream's life: true when the keeper is done (stopped, or the lease is gone).
  bool Stream(etcdserverpb::Lease::Stub& stub, SteadyClock::time_point* last_answer) {
    grpc::ClientContext context;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return true;
      context_ = &context;
    }
    auto stream = stub.LeaseKeepAlive(&context);
    bool done = false;
    while (true) {
      etcdserverpb::LeaseKeepAliveRequest req;
      req.set_id(LeaseId(lease_));
      etcdserverpb::LeaseKeepAliveResponse resp;
      if (!stream->Write(req) || !stream->Read(&resp)) break;  // broken, or cancelled by Stop
      if (resp.ttl() <= 0) {
        // Evidence for the reader of the run's output; the holder itself is told nothing, as
        // a client that does not watch its session would not be.
        const auto since =
            std::chrono::duration_cast<milliseconds>(SteadyClock::now() - *last_answer);
        SB_LOG(kInfo, "etcd") << "lease " << lease_ << " for lock " << name_
                              << " is gone; the last keepalive was answered " << since.count()
                              << " ms ago";
        done = true;
        break;
      }
      *last_answer = SteadyClock::now();
      if (Pause(period_)) {
        done = true;
        break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      context_ = nullptr;
    }
    context.TryCancel();
    (void)stream->Finish();
    return done;
  }

  void Run() {
    auto stub = etcdserverpb::Lease::NewStub(channel_);
    auto last_answer = SteadyClock::now();
    while (!Stream(*stub, &last_answer)) {
      if (Pause(milliseconds(500))) break;
    }
    bool revoke;
    {
      std::lock_guard<std::mutex> lock(mu_);
      revoke = stop_ && revoke_;
    }
    if (revoke) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + milliseconds(500));
      etcdserverpb::LeaseRevokeRequest req;
      req.set_id(LeaseId(lease_));
      etcdserverpb::LeaseRevokeResponse resp;
      (void)stub->LeaseRevoke(&context, req, &resp);
    }
  }

  const std::shared_ptr<grpc::Channel> channel_;
  const std::string lease_;
  const std::string name_;
  const milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                       // GUARDED_BY(mu_)
  bool revoke_ = false;                     // GUARDED_BY(mu_)
  grpc::ClientContext* context_ = nullptr;  // GUARDED_BY(mu_): the open stream's
  std::thread thread_;                      // last: started once the rest exists
};

// The gateway JSON `body` into `Req` by hand when etcd_messages.h covers it (the workloads' KV
// calls), else by protobuf's JSON mapping.
template <typename Req>
bool RequestFromJson(const json& body, Req* req, std::string* error) {
  if constexpr (std::is_same_v<Req, etcdserverpb::RangeRequest>) {
    if (RangeFromJson(body, req)) return true;
  } else if constexpr (std::is_same_v<Req, etcdserverpb::PutRequest>) {
    if (PutFromJson(body, req)) return true;
  } else if constexpr (std::is_same_v<Req, etcdserverpb::TxnRequest>) {
    if (TxnFromJson(body, req)) return true;
  }
  req->Clear();
  google::protobuf::util::JsonParseOptions in;
  const auto parsed = google::protobuf::util::JsonStringToMessage(body.dump(), req, in);
  if (!parsed.ok()) *error = parsed.ToString();
  return parsed.ok();
}

// The answer as gateway JSON: by hand for the KV calls, else by protobuf's JSON mapping.
template <typename Resp>
json ResponseToJson(const Resp& resp) {
  if constexpr (std::is_same_v<Resp, etcdserverpb::RangeResponse> ||
                std::is_same_v<Resp, etcdserverpb::PutResponse>) {
    return ToJson(resp);
  } else if constexpr (std::is_same_v<Resp, etcdserverpb::TxnResponse>) {
    if (std::optional<json> j = ToJson(resp)) return std::move(*j);
  }
  google::protobuf::util::JsonPrintOptions out;
  out.preserve_proto_field_names = true;  // etcd's gateway: OrigName
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(resp, &text, out);
  return json::parse(text, nullptr, false);
}

// Parses the gateway JSON `body` into `Req`, calls `call` and gives its answer back as JSON.
template <typename Req, typename Resp, typename Call>
node::Reply Unary(const json& body, Call call) {
  Req req;
  std::string error;
  if (!RequestFromJson(body, &req, &error)) {
    // The client's own bad request: never sent; every member would refuse it.
    return GatewayReplyFor(
        static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
        "cannot make a " + Req::descriptor()->full_name() + " of " + body.dump() + ": " + error,
        /*sent=*/true);
  }
  Resp resp;
  const grpc::Status status = call(req, &resp);
  if (!status.ok()) {
    return GatewayReplyFor(static_cast<int>(status.error_code()), status.error_message(),
                           /*sent=*/true);
  }
  return GatewayReplyFor(0, "", true, ResponseToJson(resp));
}

class GrpcTransport : public Transport {
 public:
  GrpcTransport(const std::string& address, GrpcKeepalive keepalive) : keepalive_(keepalive) {
    SetAddress(address);
  }

  const std::string& address() const override { return address_; }
  void SetAddress(const std::string& address) override {
    address_ = address;
    // One channel per member, kept: moving back to a member reuses its connection.
    std::shared_ptr<grpc::Channel>& c = channels_[address];
    if (!c) c = NewChannel(address, keepalive_);
    channel_ = c;
    kv_ = etcdserverpb::KV::NewStub(channel_);
    lease_ = etcdserverpb::Lease::NewStub(channel_);
    lock_ = v3lockpb::Lock::NewStub(channel_);
    cluster_ = etcdserverpb::Cluster::NewStub(channel_);
    maintenance_ = etcdserverpb::Maintenance::NewStub(channel_);
  }

  node::Reply Call(const std::string& path, const json& body, milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    // Connected first: a call that fails before the channel is ready certainly never reached
    // etcd (fail, and the client tries the next member); once ready, a write's failure may be
    // after etcd took it.
    if (!Connected(deadline)) {
      return GatewayReplyFor(static_cast<int>(grpc::StatusCode::UNAVAILABLE),
                             "cannot connect to " + address_ + " over gRPC", /*sent=*/false);
    }
    grpc::ClientContext context;
    context.set_deadline(SystemDeadline(deadline));
    using namespace etcdserverpb;
    if (path == "/v3/kv/range") {
      return Unary<RangeRequest, RangeResponse>(
          body, [&](auto& q, auto* a) { return kv_->Range(&context, q, a); });
    }
    if (path == "/v3/kv/put") {
      return Unary<PutRequest, PutResponse>(
          body, [&](auto& q, auto* a) { return kv_->Put(&context, q, a); });
    }
    if (path == "/v3/kv/txn") {
      return Unary<TxnRequest, TxnResponse>(
          body, [&](auto& q, auto* a) { return kv_->Txn(&context, q, a); });
    }
    if (path == "/v3/lease/grant") {
      return Unary<LeaseGrantRequest, LeaseGrantResponse>(
          body, [&](auto& q, auto* a) { return lease_->LeaseGrant(&context, q, a); });
    }
    if (path == "/v3/lease/revoke") {
      return Unary<LeaseRevokeRequest, LeaseRevokeResponse>(
          body, [&](auto& q, auto* a) { return lease_->LeaseRevoke(&context, q, a); });
    }
    if (path == "/v3/lock/lock") {
      return Unary<v3lockpb::LockRequest, v3lockpb::LockResponse>(
          body, [&](auto& q, auto* a) { return lock_->Lock(&context, q, a); });
    }
    if (path == "/v3/lock/unlock") {
      return Unary<v3lockpb::UnlockRequest, v3lockpb::UnlockResponse>(
          body, [&](auto& q, auto* a) { return lock_->Unlock(&context, q, a); });
    }
    // The harness's calls (harness/systems/etcd.cc): membership faults and the members' status.
    if (path == "/v3/cluster/member/list") {
      return Unary<MemberListRequest, MemberListResponse>(
          body, [&](auto& q, auto* a) { return cluster_->MemberList(&context, q, a); });
    }
    if (path == "/v3/cluster/member/add") {
      return Unary<MemberAddRequest, MemberAddResponse>(
          body, [&](auto& q, auto* a) { return cluster_->MemberAdd(&context, q, a); });
    }
    if (path == "/v3/cluster/member/remove") {
      return Unary<MemberRemoveRequest, MemberRemoveResponse>(
          body, [&](auto& q, auto* a) { return cluster_->MemberRemove(&context, q, a); });
    }
    if (path == "/v3/maintenance/status") {
      return Unary<StatusRequest, StatusResponse>(
          body, [&](auto& q, auto* a) { return maintenance_->Status(&context, q, a); });
    }
    // The client's own bug: refused as its own, never retried elsewhere.
    return GatewayReplyFor(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
                           "the etcd gRPC client has no call for " + path, /*sent=*/true);
  }

  std::unique_ptr<LeaseKeeper> KeepAlive(const std::string& lease, int64_t ttl_s,
                                         const std::string& name) override {
    return std::make_unique<GrpcLeaseKeeper>(channel_, lease, ttl_s, name);
  }

 private:
  // Waits until the channel is ready; false when it failed to connect or the deadline passed
  // first. A channel in TRANSIENT_FAILURE (the member refused the connection, or is backing off
  // after that) answers false at once, as a refused connection does on the gateway.
  bool Connected(SteadyClock::time_point deadline) {
    grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY) {
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
      if (!channel_->WaitForStateChange(state, SystemDeadline(deadline))) return false;
      state = channel_->GetState(true);
    }
    return true;
  }

  const GrpcKeepalive keepalive_;
  std::string address_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<v3lockpb::Lock::Stub> lock_;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster_;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance_;
};

}  // namespace

std::unique_ptr<Transport> NewGrpcTransport(const std::string& address, GrpcKeepalive keepalive) {
  return std::make_unique<GrpcTransport>(address, keepalive);
}

}  // namespace splitbrain::clients::etcd

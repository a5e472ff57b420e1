// The etcd client (issue #9): how a workload's commands reach etcd 3.4 members, written as calls
// of etcd's v3 JSON gateway (grpc-gateway on the client port): /v3/kv/range, /v3/kv/put,
// /v3/kv/txn for compare-and-set, /v3/lease/* and /v3/lock/* for the lock workload. Keys and
// values are base64; 64-bit numbers come as strings; fields with default values are omitted
// ("succeeded": false is absent). Moved out of harness/systems/etcd.cc, which keeps the members'
// processes. Since issue #21 those calls go over gRPC by default (etcd_grpc.cc: each made as
// the gRPC call behind it), or to the gateway itself (Api::kGateway).
//
// Outcomes (STYLE.md): a write answered 503 (Unavailable: "request timed out", "leader changed")
// or 504, or a deadline after sending, may still be applied: unknown. A refused connection, or a
// 4xx answer, certainly did nothing: fail, and the client tries the next member (by the policy
// of clients/retry.h) unless it was the operation's own refusal (400, 409, a compare that did
// not match). Reads have no effect, so a failed read is retried on the next member until its
// deadline, then fails. The pure translation below is thread-safe; a client is one per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "node/client.h"
#include "records/reply.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::clients {

namespace etcd {
// How the client reaches etcd: its gRPC API, as etcd's own clients do (the default), or the JSON
// gateway in front of it (one more hop, and gRPC's deadlines and stream keepalives hidden).
enum class Api { kGrpc, kGateway };
const char* ApiName(Api api);                          // "grpc", "gateway"
std::optional<Api> ParseApi(const std::string& name);  // nullopt for any other name

// The gRPC channel's keepalive, as the Go client's DialKeepAliveTime / DialKeepAliveTimeout: while
// calls are open, a ping after `time` without one; a ping not acknowledged within `timeout`
// closes the connection (its calls end UNAVAILABLE) and the client moves to another member.
// The defaults: 10 s, what grpc-go (under etcd's Go client) raises any shorter time to, and
// above the 5 s etcd's server takes (--grpc-keepalive-min-time; pinging more often gets the
// connection closed with ENHANCE_YOUR_CALM); 3 s for the answer, which etcd's HTTP/2 transport
// gives at once whatever its disk or its leader is doing. Tests shorten both.
struct GrpcKeepalive {
  std::chrono::milliseconds time{10'000};
  std::chrono::milliseconds timeout{3'000};
};
}  // namespace etcd

// A client of the etcd members `members` (id and client address "10.77.0.11:2379"; not empty),
// over `api` (over gRPC with `keepalive`).
// It sticks to one member, as a client with one endpoint does, beginning each operation where
// the placement says, and moves to the next only after a member's refusal. For the lock
// workload it holds a lease per lock and keeps it alive every TTL/3 from a background thread
// through the same member, as etcd's concurrency.Session does; the lock's fencing token is the
// revision it was granted at. `slot` and `seed` as for SplitbrainClient.
std::unique_ptr<workloads::Client> NewEtcdClient(std::vector<workloads::NodeAddress> members,
                                                 size_t slot, workloads::Placement placement,
                                                 uint64_t seed, etcd::Api api = etcd::Api::kGrpc,
                                                 etcd::GrpcKeepalive keepalive = {});

namespace etcd {

std::string Base64Encode(const std::string& bytes);
// kInvalidArgument on characters outside the alphabet or a bad length.
Result<std::string> Base64Decode(const std::string& text);

// A 64-bit field of an etcd answer: etcd writes them as strings; an absent field is its default,
// 0 (as is a field that is not a number).
int64_t Int64Field(const nlohmann::json& j, const char* key);

// What a gateway's failed answer with status `http_status` means for a retry: 400 is kInvalid
// and 409 kState (the operation's own: they stand on every member); any other, 0 (no answer)
// included, is this member's refusal (kMember).
records::Refusal RefusalFor(int http_status);

// A gateway call: the path and its JSON body.
struct Request {
  std::string path;
  nlohmann::json body;
};
// Where the workloads' data lives in etcd: a register or kv key under its own name (its value
// the JSON text of the value: "3", "\"1;2;\""), a set's elements one key each under
// "<set>/<element>" (the value the element), the counter under its key, the bank's accounts
// under "bank/<account>".
inline constexpr char kBankPrefix[] = "bank/";
std::string SetElementKey(const std::string& set, int64_t element);
// The key just past every key that begins with `prefix` (a range's range_end).
std::string PrefixEnd(const std::string& prefix);

// The gateway call for a command etcd answers in one call: register read / write / cas, kv get /
// put, set-add / set-read, counter-read, bank-read (a range over the accounts: one revision),
// bank-init (a transaction creating every account, or none if one exists). kInvalidArgument for
// any other op (the read-modify-writes below, the lock's).
Result<Request> RequestFor(const nlohmann::json& command);

// The read-modify-writes: kv append, counter-add, transfer. Their keys (empty for any other
// op, or one without its key or accounts), one transaction reading them all, and, from what it
// answered, the update and the transaction that writes it only if no key changed since (compare on
// each key's mod_revision; 0 for a key that does not exist).
std::vector<std::string> UpdateKeys(const nlohmann::json& command);
Request ReadKeysRequest(const std::vector<std::string>& keys);
struct KeyState {
  nlohmann::json value;            // null: absent
  std::string mod_revision = "0";  // as the gateway writes revisions: decimal text
};
// kInvalidArgument when the answer does not have one range answer per key, or a value is not JSON.
Result<std::vector<KeyState>> ParseReadKeys(const nlohmann::json& body, size_t keys);
struct Update {
  std::vector<std::pair<std::string, nlohmann::json>> puts;  // key, new value
  nlohmann::json value;  // the reply's value, as splitbrain-node answers the op
};
// kAborted: the state refuses it (an account would go negative, a counter overflow);
// kInvalidArgument: a malformed command.
Result<Update> UpdateFor(const nlohmann::json& command, const std::vector<nlohmann::json>& current);
Request UpdateRequest(const std::vector<std::string>& keys, const std::vector<KeyState>& read,
                      const Update& update);

// The text of a gateway's error answer ("etcdserver: request timed out"), else the transport's.
std::string ErrorText(const node::Reply& http);
// The reply to a RequestFor command from the gateway's answer (`http` as node::Client::Call
// returned it: http_status 0 when no answer was read, its outcome then saying whether the request
// was completely sent), answered by member `member`. Register values are stored as JSON text ("3").
// A failed compare is the operation's own refusal (kState), a 400 too (kInvalid); any other
// fail is the member's (kMember).
records::Reply ReplyFor(const nlohmann::json& command, const node::Reply& http,
                        const std::string& member = "");

// The transport under the client: one call of etcd's v3 API named by its gateway path
// ("/v3/kv/range") with the gateway's JSON body, answered as the gateway answers it (a
// node::Reply: http_status 0 when nothing was answered, its outcome then kFail when the request
// certainly never reached the member). Over gRPC the JSON is protobuf's JSON mapping of etcd's
// messages, which is what the gateway speaks, so the translation above serves both transports.
// Not thread-safe except KeepAlive's keeper, which runs on a thread of its own.
class LeaseKeeper {
 public:
  // Waits for the keeper's thread to end (Stop first, else it stops without revoking).
  virtual ~LeaseKeeper() = default;
  // Stops keeping the lease alive, without waiting; with `revoke` the keeper revokes it on its
  // way out.
  virtual void Stop(bool revoke) = 0;
};
class Transport {
 public:
  virtual ~Transport() = default;
  virtual const std::string& address() const = 0;
  // Points the transport at another member's client address.
  virtual void SetAddress(const std::string& address) = 0;
  virtual node::Reply Call(const std::string& path, const nlohmann::json& body,
                           std::chrono::milliseconds timeout) = 0;
  // Keeps lease `lease` (its ID as the gateway writes it: decimal text) of `ttl_s` seconds alive
  // through the current member every TTL/3 from a thread of its own, as etcd's Go client does:
  // the gateway by one /v3/lease/keepalive call each time, gRPC over one LeaseKeepAlive stream.
  // A lease etcd says is gone is logged with `name` (the lock's) and no longer kept.
  virtual std::unique_ptr<LeaseKeeper> KeepAlive(const std::string& lease, int64_t ttl_s,
                                                 const std::string& name) = 0;
};
std::unique_ptr<Transport> NewGatewayTransport(const std::string& address);
// Over gRPC, every path above and the harness's: /v3/cluster/member/{list,add,remove} and
// /v3/maintenance/status, as etcd's Cluster and Maintenance calls. A call is made only once the
// member's channel is connected (not connected by the deadline: http_status 0, kFail).
std::unique_ptr<Transport> NewGrpcTransport(const std::string& address,
                                            GrpcKeepalive keepalive = {});
// The transport for `api` (`keepalive` only for gRPC).
std::unique_ptr<Transport> NewTransport(Api api, const std::string& address,
                                        GrpcKeepalive keepalive = {});

// gRPC's answer to a call as the gateway would have given it, for ReplyFor: `grpc_code` a
// grpc::StatusCode, `message` its message (etcd's "etcdserver: request timed out"), `body` the
// response's JSON (protobuf's JSON mapping, field names as etcd's .proto) when the code is OK.
// `sent` false: the channel never reached the member, so the request certainly did nothing
// (http_status 0, kFail). Otherwise the gateway's HTTP status for the code (UNAVAILABLE 503,
// DEADLINE_EXCEEDED 504, INVALID_ARGUMENT 400, ...), except CANCELLED, which after sending may
// still be applied (500, not the gateway's 408).
node::Reply GatewayReplyFor(int grpc_code, const std::string& message, bool sent,
                            nlohmann::json body = nullptr);

}  // namespace etcd
}  // namespace splitbrain::clients

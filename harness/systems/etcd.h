// The etcd adapter (issue #9): real etcd members (Debian's etcd-server, etcd 3.4) in the lab, one
// per node namespace, talked to through etcd's v3 JSON gateway (grpc-gateway on the client port):
// /v3/kv/range, /v3/kv/put, /v3/kv/txn for compare-and-set, /v3/lease/* and /v3/lock/* for the
// lock workload. Keys and values are base64; 64-bit numbers come as strings; fields with default
// values are omitted ("succeeded": false is absent).
//
// Outcomes (STYLE.md): a write answered 503 (Unavailable: "request timed out", "leader changed")
// or 504, or a deadline after sending, may still be applied: info. A refused connection, or a
// 4xx answer, certainly did nothing: fail, and the client tries the next member. Reads have no
// effect, so a read is retried on the next member until its deadline, then fails.
//
// What etcd cannot do here: clock-skew (libfaketime cannot reach Go's clock — the runtime reads
// time through the vDSO, not libc; measured: an etcd member under a +3600 s FAKETIME still logs
// the true time), membership changes (not built), and raft-invariants (etcd logs no applied
// entries). Role changes and terms are recovered from etcd's own log into nodes/<id>/events.jsonl
// at the end of the run, for term-churn and the report. Workloads: register and lock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "harness/systems/system.h"
#include "node/client.h"
#include "records/node_events.h"

namespace splitbrain::harness {

SystemAdapter EtcdAdapter();

namespace etcd {

std::string Base64Encode(const std::string& bytes);
// kInvalidArgument on characters outside the alphabet or a bad length.
Result<std::string> Base64Decode(const std::string& text);

// A gateway call: the path and its JSON body.
struct Request {
  std::string path;
  nlohmann::json body;
};
// The gateway call for a register command (read / write / cas). kInvalidArgument for any
// other op.
Result<Request> RequestFor(const nlohmann::json& command);
// The command's outcome and value from the gateway's answer (`http` as node::Client::Call
// returned it: http_status 0 when no answer was read, its outcome then saying whether the
// request was completely sent). Register values are stored as JSON text ("3").
node::Reply ReplyFor(const nlohmann::json& command, const node::Reply& http);

// splitbrain-node's event log (docs/CONTRACTS.md "Node event log") recovered from one member's
// etcd log (zap JSON lines, appended across restarts): a `start` per "starting an etcd server",
// a `role` per "became <role> at term N", "elected leader X at term N" and "lost leader".
// `names` maps etcd's hex member ids to node ids (MemberNames). Lines that are not etcd's JSON
// are skipped. Pure.
std::vector<records::NodeEvent> EventsFromLog(const std::string& node, const std::string& log,
                                              const std::map<std::string, std::string>& names);
// Hex member id → node id, from each member's "starting etcd server" line ("local-member-id").
std::map<std::string, std::string> MemberNames(const std::map<std::string, std::string>& logs);

}  // namespace etcd
}  // namespace splitbrain::harness

// The etcd adapter (issue #9): real etcd members (Debian's etcd-server, etcd 3.4) in the lab, one
// per node namespace, started, stopped and faulted as processes (ProcessCluster); each logical
// client talks to them with clients::NewEtcdClient (clients/etcd_client.h: the commands'
// translation and their outcomes) over the plan's etcd.api: gRPC (the default; the members then
// run without their JSON gateway) or the gateway. The adapter's own calls take the same API.
//
// What etcd cannot do here: clock-skew (libfaketime cannot reach Go's clock — the runtime reads
// time through the vDSO, not libc; measured: an etcd member under a +3600 s FAKETIME still logs
// the true time) and raft-invariants (etcd logs no applied entries). Membership faults go
// through etcd's Cluster service (the gateway's /v3/cluster/member/*), on any other running
// member: `membership` removes the member and stops it, and at its end (or at recovery) adds it
// back by its peer URL and starts it empty with `--initial-cluster-state existing`, as etcd's
// runtime reconfiguration guide has an operator do. Role changes and terms are recovered from
// etcd's own log into nodes/<id>/events.jsonl at the end of the run, for term-churn and the
// report. Workloads: every one but queue.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "harness/systems/system.h"
#include "records/node_events.h"

namespace splitbrain::harness {

SystemAdapter EtcdAdapter();

namespace etcd {

// splitbrain-node's event log (docs/CONTRACTS.md "Node event log") recovered from one member's
// etcd log (zap JSON lines, appended across restarts): a `start` per "starting an etcd server",
// a `role` per "became <role> at term N", "elected leader X at term N" and "lost leader".
// `names` maps etcd's hex member ids to node ids (MemberNames). Lines that are not etcd's JSON
// are skipped. Pure.
std::vector<records::NodeEvent> EventsFromLog(const std::string& node, const std::string& log,
                                              const std::map<std::string, std::string>& names);
// Hex member id → node id, from each member's "starting etcd server" line ("local-member-id").
std::map<std::string, std::string> MemberNames(const std::map<std::string, std::string>& logs);

// From a /v3/cluster/member/list (or member/add) answer: the member id (a uint64, as the gateway
// writes it: a decimal string) of the member named `name`; kNotFound when none is.
Result<std::string> MemberId(const nlohmann::json& list, const std::string& name);
// The --initial-cluster a member joining by `peer_url` starts with: every member of the answer,
// `name=peerURL`, the member not started yet (etcd lists it with no name) under `name`. Members
// are written in the answer's order. kInvalidArgument when `peer_url` is not among them (it was
// not added) or a member has no peer URL.
Result<std::string> JoinCluster(const nlohmann::json& list, const std::string& name,
                                const std::string& peer_url);

}  // namespace etcd
}  // namespace splitbrain::harness

// The etcd adapter (issue #9): real etcd members (Debian's etcd-server, etcd 3.4) in the lab, one
// per node namespace, started, stopped and faulted as processes (ProcessCluster); each logical
// client talks to them through etcd's v3 JSON gateway with clients::NewEtcdClient
// (clients/etcd_client.h: the commands' translation and their outcomes).
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

}  // namespace etcd
}  // namespace splitbrain::harness

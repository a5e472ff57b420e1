#include "harness/systems/catalog.h"

#include "nemesis/fault_kind.h"

namespace splitbrain::harness {
namespace {

SystemInfo Etcd() {
  SystemInfo s;
  s.name = "etcd";
  s.unsupported = {
      {"needs:libc-clock",
       "has no effect on etcd: libfaketime cannot reach a Go program's clock (the Go runtime "
       "reads time through the vDSO, not libc); use pause faults to stall a member's timers"},
      {"needs:snapshot-api",
       "has no etcd call to take: etcd 3.4 snapshots only by its own count (its maintenance "
       "snapshot streams a backup and leaves the raft log alone); set node.snapshot-entries "
       "(etcd's --snapshot-count) instead"},
      {"checker:raft-invariants",
       "needs every member's applied entries (nodes/<id>/events.jsonl); etcd logs only its role "
       "changes, which is what term-churn and the report's Raft view use"},
  };
  s.unsupported["workload:queue"] =
      "is not translated to etcd (the queue workload is a JetStream stream: system nats)";
  return s;
}

// What `system: exec` cannot do whatever its members: says; what depends on the plan's
// description (no status, no event log, data elsewhere, no remove/add/join, no snapshot) is
// PlanUnsupportedReason (harness/plan.h).
SystemInfo Exec() {
  SystemInfo s;
  s.name = "exec";
  s.unsupported = {
      {"needs:libc-clock",
       "is not built for exec: the harness does not know whether libfaketime reaches your "
       "program's clock (a Go or JVM program reads it without libc); use pause faults"},
  };
  return s;
}

SystemInfo Nats() {
  SystemInfo s;
  s.name = "nats";
  s.unsupported = {
      {"needs:libc-clock",
       "has no effect on nats-server: libfaketime cannot reach a Go program's clock (the Go "
       "runtime reads time through the vDSO, not libc); use pause faults to stall a member's "
       "timers"},
      {"needs:membership-api",
       "is not built for NATS (JetStream's peer-remove and a fresh server joining)"},
      {"needs:snapshot-api",
       "has no NATS call to take: JetStream snapshots its Raft groups by itself (the stream "
       "snapshot API is a backup, not a compaction)"},
      {"checker:raft-invariants",
       "needs every member's applied entries (nodes/<id>/events.jsonl); nats-server logs none"},
      {"checker:term-churn",
       "needs terms: nats-server 2.9.10 reports no Raft term (neither /jsz nor its log), so no "
       "new term can be counted"},
  };
  for (const char* w : {"kv", "set", "counter", "bank", "lock"}) {
    s.unsupported[std::string("workload:") + w] =
        "is not translated to NATS yet (the nats adapter speaks the queue workload, a JetStream "
        "stream, and register, a JetStream KV bucket)";
  }
  return s;
}

SystemInfo Zookeeper() {
  SystemInfo s;
  s.name = "zookeeper";
  s.unsupported = {
      {"needs:libc-clock",
       "is not built for ZooKeeper: the JVM reads the clock through the vDSO (as Go does), not "
       "through libc's time functions libfaketime interposes; use pause faults to stall a "
       "member's timers"},
      {"needs:membership-api",
       "is not built for ZooKeeper (its dynamic reconfiguration, reconfigEnabled, is off)"},
      {"needs:snapshot-api",
       "has no ZooKeeper call to take: a member snapshots by itself every snapCount "
       "transactions"},
      {"checker:raft-invariants",
       "needs every member's applied entries (nodes/<id>/events.jsonl); ZooKeeper logs none"},
      {"checker:term-churn",
       "needs role changes in nodes/<id>/events.jsonl, which the zookeeper adapter does not "
       "write yet (the epoch is in each member's status.json)"},
  };
  for (const char* w : {"kv", "set", "counter", "bank", "queue"}) {
    s.unsupported[std::string("workload:") + w] =
        "is not translated to ZooKeeper yet (the zookeeper adapter speaks register, on znodes, "
        "and lock, ZooKeeper's lock recipe)";
  }
  return s;
}

SystemInfo Splitbrain() {
  SystemInfo s;
  s.name = "splitbrain";
  s.unsupported = {{"workload:queue",
                    "is not translated to splitbrain-node (the queue workload is a JetStream "
                    "stream: system nats)"}};
  return s;
}

}  // namespace

const std::vector<SystemInfo>& SystemCatalog() {
  static const std::vector<SystemInfo> kSystems = {Splitbrain(), Etcd(), Exec(), Nats(),
                                                   Zookeeper()};
  return kSystems;
}

std::vector<std::string> SystemNames() {
  std::vector<std::string> out;
  for (const auto& s : SystemCatalog()) out.push_back(s.name);
  return out;
}

std::string UnsupportedReason(const std::string& system, const std::string& what) {
  for (const auto& s : SystemCatalog()) {
    if (s.name != system) continue;
    auto it = s.unsupported.find(what);
    if (it != s.unsupported.end()) return it->second;
    // A fault the system cannot do because it lacks what the fault kind needs.
    if (what.rfind("fault:", 0) == 0) {
      const nemesis::FaultKind* kind = nemesis::FindFaultKind(what.substr(6));
      if (kind && !kind->needs.empty()) {
        it = s.unsupported.find("needs:" + kind->needs);
        if (it != s.unsupported.end()) return it->second;
      }
    }
    return "";
  }
  return "";
}

}  // namespace splitbrain::harness

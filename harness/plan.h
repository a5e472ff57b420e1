// Plan: a YAML test plan read into values (DESIGN.md "Test plans"). ParsePlanFile validates the
// whole file before anything runs and names file:line:column and what was expected on a
// mistake. Pure apart from reading the file; values are plain data, safe to copy across threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "nemesis/fault.h"

namespace splitbrain::harness {

// One entry of an explicit nemesis timeline: `{at: 10s, fault: partition-one-way, from: [n1],
// ...}`: the nemesis's request (`kind` is the `fault:` name; every option a fault takes, with the
// same defaults) and when it starts, how long it lasts, where it was written.
struct ScheduledFault : nemesis::FaultRequest {
  int64_t at_ns = 0;        // since the run began
  int64_t duration_ns = 0;  // 0: lasts until the next heal or the end of the run
  int line = 0;             // where it was written, for messages (1-based)
};

struct WorkloadSpec {
  std::string name = "register";  // a name from workloads::WorkloadNames()
  int keys = 4;                   // distinct keys (register, kv, lock)
  int concurrency = 5;            // logical client processes
  double rate = 100;  // target operations per second, all clients together; 0: as fast as possible
  int64_t limit = 0;  // total operations; 0: no limit
  double read_fraction = 0.5;             // share of reads in the mix
  int accounts = 5;                       // bank
  int64_t initial_balance = 100;          // bank, per account
  int64_t op_timeout_ns = 1'000'000'000;  // per-operation client deadline
  int64_t lock_ttl_ns = 10'000'000'000;   // lock: the lock's TTL (etcd: its lease's TTL)
  int64_t lock_hold_ns = 0;               // lock: how long a holder keeps it before releasing
  // register: writes and cas draw their values from [0, values); 0: each writes a value never
  // written before (workloads::WorkloadConfig::values)
  int values = 0;
  // Where each client's operations begin: home (its own node, round-robin over the nodes),
  // leader (where the last one ended) or random (workloads/placement.h).
  std::string placement = "home";
  // register with system nats: how a KV get is served — "direct" (any current replica answers
  // from its own store: libnats's default) or "leader" (the bucket's stream leader);
  // clients/nats_client.h. With system zookeeper: "plain" (getData from the member the session
  // is on) or "sync" (sync, then getData); clients/zookeeper_client.h. Empty: not set (nats then
  // uses direct, zookeeper sync).
  std::string kv_reads;
  // Traffic where faults are: for burst_window_ns after each fault starts and ends, operations
  // come `burst` times as often (1: off; needs rate > 0).
  double burst = 1;
  int64_t burst_window_ns = 2'000'000'000;
};

struct NemesisSpec {
  int64_t interval_ns = 5'000'000'000;   // quiet time between random faults
  int64_t duration_ns = 0;               // how long a random fault lasts; 0: same as interval
  std::vector<std::string> faults;       // random mix; empty and no schedule: no nemesis
  std::vector<ScheduledFault> schedule;  // explicit timeline (used instead of the mix when present)
  int64_t start_ns = 0;                  // no random fault before this time (default: interval)
};

struct NodeSpec {
  std::vector<std::string> args;  // extra member flags, e.g. [--bug, stale-read] (appended)
  std::string binary;             // empty: the system's default place (splitbrain run resolves it)
  int tick_ms = 10;
  int election_ticks = 10;
  // Snapshot (and compact the log) once this many entries follow the last snapshot:
  // splitbrain-node's --snapshot-entries, etcd's --snapshot-count. Absent: the system's default
  // (10,000 and 100,000), which a minute's run never reaches.
  std::optional<int64_t> snapshot_entries;
};

// One machine of a real cluster reached over SSH (plan `hosts:`, or `splitbrain run --hosts
// FILE`; harness/ssh_hosts.h): one member per host, in the order of the nodes (n1 on the first).
struct HostSpec {
  std::string address;  // what ssh connects to: an IP address or a name ssh resolves
  std::string ip;       // where the members listen and nftables matches; empty: address (numeric)
  std::string user;     // empty: ssh's choice (~/.ssh/config, else the local user name)
  int port = 0;         // 0: ssh's choice (~/.ssh/config, else 22)
  std::string key;      // an identity file (ssh -i); empty: the agent and ~/.ssh/config
  std::vector<std::string> ssh_options;  // each passed as `ssh -o OPTION`
  std::string dir = "/tmp/splitbrain";   // splitbrain's data directory on the host
  int line = 0;                          // where the entry was written (1-based), for messages
  int column = 0;
};

// `system: exec`: the user's own program as the members and a client program in any language
// (docs/exec-protocol.md). Command lines are words with placeholders (harness/exec_template.h).
struct MembersSpec {
  std::vector<std::string> start;    // a member's first start; required
  std::vector<std::string> restart;  // again on its data after a kill; empty: `start`
  std::vector<std::string> join;     // a new, empty member that joins; with remove and add:
                                     // membership faults (without: refused)
  std::vector<std::string> remove;   // run by the harness to remove member {id} (exit 0: done)
  std::vector<std::string> add;      // run by the harness to add member {id} back, before `join`
  std::string status_url;            // GET answering JSON with `role` and `term`; or
  std::vector<std::string> status_command;  // whose stdout's last line is that JSON; neither:
                                            // the harness cannot tell who leads (the fallback)
  // `snapshot`: makes member {id} snapshot and compact its log now (the snapshot fault); a URL
  // POSTed to, or a command run; neither: the snapshot fault is refused at validation.
  std::string snapshot_url;
  std::vector<std::string> snapshot_command;
  std::vector<std::string> client;        // one client process per logical client; required
  int port = 0;                           // the member's client port: {port}, clients' {node}
  std::string peer = "{id}={ip}:{port}";  // one member's entry in {members}
  std::string peer_flag;  // set: a word `{members}` becomes `FLAG entry FLAG entry ...`; empty:
                          // one word, the entries joined by commas
  bool events = false;    // members write splitbrain-node's event log at {dir}/events.jsonl
  std::string plan_dir;   // the plan file's folder, absolute: {plan-dir}
  int line = 0;           // where `members:` was written (1-based)
};

struct TestPlan {
  std::string name;
  std::string system = "splitbrain";  // a name from SystemNames() (harness/systems/catalog.h)
  int nodes = 3;
  int64_t time_limit_ns = 30'000'000'000;
  std::optional<uint64_t> seed;  // absent: drawn at run time and recorded
  WorkloadSpec workload;
  NemesisSpec nemesis;
  std::vector<std::string> checkers;  // empty: the workload's defaults
  NodeSpec node;
  std::optional<MembersSpec> members;  // system: exec only
  // system etcd: how its clients reach it, "grpc" (etcd's own API) or "gateway" (the JSON
  // gateway in front of it); clients/etcd_client.h. Absent: not given (grpc).
  std::optional<std::string> etcd_api;
  std::string expect = "valid";  // valid | invalid
  int64_t recovery_ns =
      10'000'000'000;  // after healing: wait at most this for a leader before final reads
  // term-churn's judgement: invalid when more than term_churn_bound new terms begin within
  // term_churn_window_ns (plan field `term-churn: {window, bound}`).
  int64_t term_churn_window_ns = 5'000'000'000;
  int term_churn_bound = 10;
  // A real cluster instead of the lab: one host per node (empty: the lab). `dead-man`: how long
  // a host's watchdog waits without the harness's heartbeat before it removes splitbrain's
  // nftables table and kills the members.
  std::vector<HostSpec> hosts;
  int64_t dead_man_ns = 10'000'000'000;
  std::string source_file;
  int line = 0;  // where the test starts in the file (1-based)
};

// The names a plan may use come from the registries: nemesis::FaultNames(),
// workloads::WorkloadNames(), checker::CheckerNames(), SystemNames() (systems/catalog.h).
// Checkers a workload gets when the plan names none (its workloads::WorkloadKind).
std::vector<std::string> DefaultCheckers(const std::string& workload);

// Why this test's system cannot do `what` ("fault:kill-leader", "checker:raft-invariants"): the
// catalog's reason (UnsupportedReason), and for `system: exec` what its `members:` leaves out
// (no status: nothing that needs the leader; no events: no event-log checkers; no {data}: no
// disk faults). Empty when it can.
std::string PlanUnsupportedReason(const TestPlan& plan, const std::string& what);

// Why `splitbrain run` (the lab, or hosts) cannot run this test although the plan is valid:
// "FILE:LINE: nemesis.schedule: fault drop-messages exists only in simulation: ..." for the
// message-level faults (drop/delay/reorder-messages), which `splitbrain sim` alone carries
// out. Empty when it can.
std::string SimulationOnlyReason(const TestPlan& plan);

// True when the test's nemesis (its fault list or schedule) has `fault`.
bool PlanHasFault(const TestPlan& plan, const std::string& fault);

// Parses "30s", "500ms", "2m", "1h", or a bare number of seconds into nanoseconds.
Result<int64_t> ParseDuration(const std::string& text);

// Reads PLAN.yaml: one test at the top level, or `tests:` (top-level keys other than `tests`
// are defaults every test inherits). Errors are "FILE:LINE:COLUMN: FIELD: what was expected".
Result<std::vector<TestPlan>> ParsePlanFile(const std::string& path);
Result<std::vector<TestPlan>> ParsePlanText(const std::string& text, const std::string& file_name);

// Reads a hosts file (`--hosts FILE`): a YAML list of hosts, each as in a plan's `hosts:`.
// Errors are "FILE:LINE:COLUMN: hosts[i].FIELD: what was expected".
Result<std::vector<HostSpec>> ParseHostsFile(const std::string& path);
// Gives every test `hosts` (from `file`), checking each test can use them: one host per node and
// only faults that work over SSH. An error names the file and the test.
Status ApplyHosts(const std::vector<HostSpec>& hosts, const std::string& file,
                  std::vector<TestPlan>* plans);
// The faults a run over SSH cannot inject yet (harness/ssh_hosts.h says why), each with why.
std::string UnsupportedOverSsh(const std::string& fault);
// For `system: exec` over SSH: "members.status: why" when a command the harness runs on this
// machine (status, snapshot, remove, add — clients of the cluster, as the workload's client
// programs are, reaching members at {ip}:{port}) names {dir} or {data}, which are paths on the
// member's host; empty when every one can run here.
std::string ExecCommandsUnsoundOverSsh(const MembersSpec& members);

// The test as run, as YAML (seed filled in), for store/<test>/<ts>/plan.yaml.
std::string PlanToYaml(const TestPlan& plan);

}  // namespace splitbrain::harness

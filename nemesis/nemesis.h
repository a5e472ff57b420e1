// Nemesis: applies and undoes faults on a cluster through a FaultInjector (the harness's lab),
// recording every start and end in nemesis.jsonl before acting. Not a client (Jepsen): it
// never talks to the workload. Thread-safe: one mutex; Active() may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/status.h"
#include "nemesis/fault.h"

namespace splitbrain::nemesis {

// What a fault needs from the place the nodes run. Implemented by the harness over the lab;
// tests implement it with a recorder.
class FaultInjector {
 public:
  virtual ~FaultInjector() = default;
  virtual ClusterView View() = 0;
  virtual Status Kill(const NodeId& node) = 0;     // SIGKILL the node's process group
  virtual Status Restart(const NodeId& node) = 0;  // start it again on its own data
  virtual Status Pause(const NodeId& node) = 0;    // SIGSTOP the process group
  virtual Status Resume(const NodeId& node) = 0;   // SIGCONT
  // Replaces every node's network rules with `rules` (empty: heal the network).
  virtual Status SetNetwork(const std::vector<NetRule>& rules) = 0;
  // Replaces every delayed link with `rules` (empty: no delay anywhere).
  virtual Status SetDelays(const std::vector<DelayRule>& rules) = 0;
  // How delays are carried out here ("nfqueue", "netem"), recorded with each delay fault.
  virtual std::string DelayMechanism() = 0;
  // Holds the node's CPU to `share` of one CPU (slow-node); Unthrottle gives it back.
  virtual Status Throttle(const NodeId& node, double share) = 0;
  virtual Status Unthrottle(const NodeId& node) = 0;
  // How throttling is carried out here ("cgroup-v1", "cgroup-v2", "sigstop-duty-cycle").
  virtual std::string ThrottleMechanism() = 0;
  virtual Status SetClockOffset(const NodeId& node, int64_t offset_ns) = 0;
  virtual Status RemoveMember(const NodeId& node) = 0;  // remove from the configuration and stop it
  virtual Status AddMember(const NodeId& node) = 0;     // start it empty and add it back
  // Asks the node to snapshot (and compact its log) now; the index its latest snapshot is at,
  // or -1 when the system does not say (recorded as null).
  virtual Result<int64_t> Snapshot(const NodeId& node) = 0;
  // Sends a command to the file system under the node's data (splitbrain-fs, its control
  // protocol: nemesis/diskfs/control.h); its reply. kUnsupported where there is none.
  virtual Result<nlohmann::json> DiskCommand(const NodeId& node, const std::string& command) {
    (void)node;
    (void)command;
    return Status::Unsupported("this system has no file system for disk faults");
  }
  // Replaces every message-level fault rule (drop/delay/reorder-messages) with `rules`. Only a
  // simulator has Raft messages to act on; elsewhere any rule is kUnsupported, and clearing
  // (empty) is a no-op.
  virtual Status SetMessageFaults(const std::vector<MessageRule>& rules) {
    return rules.empty() ? Status::Ok()
                         : Status::Unsupported(
                               "message-level faults exist only in simulation (splitbrain sim)");
  }
  // How disk faults are carried out here ("splitbrain-fs"), recorded with each disk fault.
  virtual std::string DiskMechanism() { return "none"; }
};

class Nemesis {
 public:
  // `now` gives ns since the run began (the history's clock); `log` receives nemesis.jsonl lines.
  Nemesis(FaultInjector* injector, std::function<int64_t()> now, std::ostream* log, Rng rng);

  // Builds the fault against the current view, records it, applies it. Returns its id.
  Result<int> Start(const FaultRequest& request);
  // Undoes one active fault and records its end.
  Status End(int id);
  // Ends every active fault (newest first), then makes sure the whole cluster is back: network
  // healed, clocks true, every node running. Safe to call more than once.
  Status HealAll();
  // "kill n2", "partition-halves", ...: the active faults, for the status line.
  std::vector<std::string> Active() const;
  int started() const;

 private:
  // Applies `f`; what the targets answered (a disk fault's replies) goes into f.detail.
  Status Apply(Fault& f);
  // An instantaneous fault (snapshot): applied to every target, its end recorded at once with
  // what each target answered (detail.index per node, or detail.error), never kept active.
  Result<int> ApplyInstantaneous(Fault f);
  Status Undo(const Fault& f);
  std::vector<NetRule> NetworkRulesLocked() const;
  std::vector<DelayRule> DelayRulesLocked() const;
  std::vector<MessageRule> MessageRulesLocked() const;
  void Record(const Fault& f, const std::string& phase, const nlohmann::json& extra = {});

  FaultInjector* injector_;
  std::function<int64_t()> now_;
  std::ostream* log_;
  Rng rng_;
  mutable std::mutex mu_;
  std::map<int, Fault> active_;  // GUARDED_BY(mu_)
  int next_id_ = 1;              // GUARDED_BY(mu_)
};

}  // namespace splitbrain::nemesis

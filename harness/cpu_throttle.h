// CpuThrottle: a node's CPU held to a share of one CPU while a `slow-node` fault lasts. Where
// the harness may write cgroups (as root, also inside the lab), the node's processes move to a
// cgroup of their own with a CFS quota — cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` — and
// back when it ends; elsewhere a thread runs a duty cycle of SIGCONT/SIGSTOP on the process
// group (a userspace throttle: the node runs `share` of every 100 ms). One per throttled node,
// owned by the system that runs the node; its methods are called from one thread at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace splitbrain::harness {

class CpuThrottle {
 public:
  // The mechanism this process can use: "cgroup-v2", "cgroup-v1" or "sigstop-duty-cycle".
  // Probed once (a cgroup made and removed again), then remembered.
  static std::string Mechanism();

  // Throttles process group `pgid` (every process in it) to `share` (0 < share ≤ 1) of one
  // CPU; `name` names the cgroup (unique per node and harness). `duty_cycle`: the userspace
  // throttle even where cgroups are writable (tests of the fallback).
  static Result<std::unique_ptr<CpuThrottle>> Start(pid_t pgid, double share,
                                                    const std::string& name,
                                                    bool duty_cycle = false);
  ~CpuThrottle();  // Stop()
  // Gives the processes their CPU back (into their earlier cgroups / SIGCONT). Idempotent.
  Status Stop();
  const std::string& mechanism() const { return mechanism_; }

 private:
  CpuThrottle() = default;
  std::string mechanism_;
  pid_t pgid_ = -1;
  std::string group_;                    // cgroup directory; empty for the duty cycle
  std::map<pid_t, std::string> origin_;  // pid -> its cgroup.procs before (cgroups)
  std::atomic<bool> stop_{false};
  std::thread cycle_;  // the duty cycle
  bool stopped_ = false;
};

}  // namespace splitbrain::harness

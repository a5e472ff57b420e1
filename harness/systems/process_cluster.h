// ProcessCluster: what every adapter whose members are one process per node shares — the
// processes (each on its node's host: a lab namespace or a machine over SSH, NodeHosts; in its
// own process group, output appended to node.log, data in data/ of the member's directory), kill,
// pause, resume, restart, network rules, waiting for a leader, Recover and StopAll. An adapter
// supplies a member's command line and its status query (whose `role` and `term` say who leads).
// Thread-safe: one mutex around the members' state; status queries run outside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/cpu_throttle.h"
#include "harness/disk_fs.h"
#include "harness/subprocess.h"
#include "harness/systems/system.h"

namespace splitbrain::harness {

class ProcessCluster : public System {
 public:
  explicit ProcessCluster(SystemContext context);
  ~ProcessCluster() override;  // SIGKILLs whatever still runs

  Status StartAll() override;
  Result<std::string> WaitForLeader(std::chrono::milliseconds deadline) override;
  Status StopAll(std::chrono::milliseconds grace) override;
  Status Recover() override;

  // nemesis::FaultInjector
  nemesis::ClusterView View() override;
  Status Kill(const std::string& id) override;
  Status Restart(const std::string& id) override;
  Status Pause(const std::string& id) override;
  Status Resume(const std::string& id) override;
  Status SetNetwork(const std::vector<nemesis::NetRule>& rules) override;
  Status SetDelays(const std::vector<nemesis::DelayRule>& rules) override;  // Lab::SetDelays
  std::string DelayMechanism() override { return Lab::DelayMechanism(); }
  // CpuThrottle on the member's process group; a killed member's throttle ends with it.
  Status Throttle(const std::string& id, double share) override;
  Status Unthrottle(const std::string& id) override;
  std::string ThrottleMechanism() override;
  // The defaults refuse (plan validation keeps such plans from running on systems without them).
  Status SetClockOffset(const std::string& id, int64_t offset_ns) override;
  Status RemoveMember(const std::string& id) override;
  Status AddMember(const std::string& id) override;
  Result<int64_t> Snapshot(const std::string& id) override;
  // The member's splitbrain-fs, mounted over its data directory on its machine
  // (NodeHosts::MountDisk) by StartAll when the plan has disk faults; kUnsupported otherwise.
  Result<nlohmann::json> DiskCommand(const std::string& id, const std::string& command) override;
  std::string DiskMechanism() override { return "splitbrain-fs"; }

 protected:
  enum class Start { kFirst, kRestart, kJoin };  // first boot; again on its data; joining empty
  struct Member {
    std::string id;
    std::unique_ptr<MemberProcess> process;  // made by ctx_.hosts
    int starts = 0;  // how many times it was started so far (MemberArgs sees the count before
                     // this start)
    bool paused = false;
    bool killed = false;
    bool removed = false;
    std::string dir;       // <run>/nodes/<id>, in the run store here
    std::string work_dir;  // the member's own directory on its machine (the lab: `dir`): what
                           // MemberArgs names (data/, events.jsonl)
    std::unique_ptr<CpuThrottle> throttle;  // while a slow-node fault holds it; null otherwise
    std::unique_ptr<MemberDisk>
        disk;  // splitbrain-fs under data/ (plans with disk faults); or null
  };
  // The member's program and flags (NodeHosts adds what places it on its host).
  virtual std::vector<std::string> MemberArgs(const Member& m, Start how) const = 0;
  virtual std::map<std::string, std::string> MemberEnv(const Member& m) const;
  // Files (name -> contents) written in the member's directory on its machine before this
  // start (NodeHosts::WriteMemberFile): what it reads there, a config file. Default: none.
  virtual std::map<std::string, std::string> MemberFiles(const Member& m, Start how) const;

  Status StartMember(Member& m, Start how);  // REQUIRES(mu_)
  // After the system removed member `id` from its configuration: the member stopped, as an
  // operator would, so that it cannot disturb the new configuration, and marked removed (View
  // lists it unavailable; Recover adds it back).
  Status StopRemovedMember(const std::string& id);
  // The status of the member that leads now (the highest term's self-declared leader among the
  // members but `not_from`), asked until `deadline`; nullopt when none led by then.
  std::optional<nlohmann::json> LeaderStatus(const std::string& not_from,
                                             std::chrono::milliseconds deadline);
  Member* Find(const std::string& id);       // REQUIRES(mu_); nullptr when unknown

  SystemContext ctx_;
  mutable std::mutex mu_;
  std::vector<Member> members_;             // GUARDED_BY(mu_)
  std::optional<std::string> last_leader_;  // GUARDED_BY(mu_)
  std::string cgroup_tag_;                  // makes this run's cgroup names unique on the machine
};

}  // namespace splitbrain::harness

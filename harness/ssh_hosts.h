// SshHosts: a test's members on real machines reached with OpenSSH's own client (the user's
// ~/.ssh/config and agent honoured; BatchMode, so nothing ever waits for a password), one member
// per host, everything on a host done by the remote agent (ssh_agent.h) over one multiplexed
// connection per host (ControlMaster, its socket in a temp dir of this process). A heartbeat
// thread touches each host's heartbeat file every second; the host's watchdog removes splitbrain's
// table and kills the member when it has heard nothing for the plan's `dead-man` time, so a
// harness killed mid-run leaves no partition behind (one heartbeat thread per host, so a slow
// host delays no other's); it also stops the member's splitbrain-fs and unmounts it (plans with
// disk faults). Thread-safe: the runner, the nemesis, the
// workers and the heartbeat call it at once; each call is its own ssh command.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "harness/node_hosts.h"
#include "harness/plan.h"
#include "harness/subprocess.h"

namespace splitbrain::harness {

class SshHosts : public NodeHosts {
 public:
  // For each host of `plan.hosts` (node n<i> on the i-th): opens the master connection, copies
  // the agent to <dir>/n<i>/agent.sh, checks the privileges a run needs (kUnsupported naming
  // the host and each missing one: nft, its own processes, its directory; a usable /dev/fuse
  // and fusermount3 when the plan has disk faults; libfaketime when it has clock-skew), clears
  // what an earlier run left there, finds the member program (plan.node.binary at the same path,
  // else copied to <dir>/n<i>/bin/) and, for disk faults, splitbrain-fs the same way, and starts
  // the watchdog and the heartbeat. ssh's own messages go to <log_dir>/ssh-n<i>.log.
  static Result<std::unique_ptr<SshHosts>> Connect(const TestPlan& plan,
                                                   const std::string& log_dir);
  // Stops the heartbeat, has every host's agent `finish` (no watchdog, member or table left),
  // closes the connections.
  ~SshHosts() override;

  const std::vector<std::string>& ids() const override { return ids_; }
  std::string Ip(const std::string& id) const override;
  // <host dir>/<id>/member
  std::string MemberDir(const std::string& id, const std::string& local_dir) const override;
  std::unique_ptr<MemberProcess> NewMember(const std::string& id,
                                           const std::string& local_dir) override;
  // One `nft -f -` per host (NftRulesFor), table inet splitbrain only.
  Status SetRules(const std::vector<nemesis::NetRule>& rules) override;
  // kUnsupported unless `rules` is empty: the delayer runs only in the lab.
  Status SetDelays(const std::vector<nemesis::DelayRule>& rules) override;
  // node.log, events.jsonl and (with disk faults) splitbrain-fs.log from the host into
  // `local_dir`.
  Status Collect(const std::string& id, const std::string& local_dir) override;
  // The agent's `put NAME`: <host dir>/<id>/member/NAME, replaced whole.
  Status WriteMemberFile(const std::string& id, const std::string& local_dir,
                         const std::string& name, const std::string& bytes) override;
  // Found on the host at Connect when the plan has clock-skew (empty otherwise).
  std::string FaketimeLibrary(const std::string& id) const override;
  // The agent's `fs-mount`: splitbrain-fs (found or copied at Connect) over <host dir>/<id>/
  // member/data there, in the mount namespace of the host's ssh sessions; the disk faults go
  // through the agent's `fs` (splitbrain-fs --send on the host: its control socket is abstract,
  // of the host's network namespace). kUnsupported when the plan had no disk faults at Connect.
  Result<std::unique_ptr<MemberDisk>> MountDisk(const std::string& id, const std::string& local_dir,
                                                const std::string& control) override;
  bool Local() const override { return false; }

  // Runs the agent's `args` on node `id`'s host, `input` on its stdin.
  Result<CommandResult> Agent(const std::string& id, const std::vector<std::string>& args,
                              const std::string& input = "",
                              std::chrono::milliseconds deadline = std::chrono::seconds(10));
  // The member program as the host runs it (plan.node.binary, or the copy in <home>/bin/).
  std::string RemoteProgram(const std::string& id, const std::string& local) const;

  // The ssh command line for `host` through the control socket `control` (empty: no
  // multiplexing) running `remote` (one shell command line): ssh -o BatchMode=yes
  // [-o ControlPath=...] [-i key] [-p port] [-o option]... [user@]address -- remote.
  static std::vector<std::string> SshArgv(const HostSpec& host, const std::string& control,
                                          const std::string& remote);

 private:
  struct Host {
    HostSpec spec;
    std::string id;
    std::string home;        // <dir>/<id> on the host
    std::string control;     // the master's socket here
    std::string program;     // the member program as the host runs it
    std::string faketime;    // libfaketime there (plans with clock-skew only); empty: not looked
    std::string fs_program;  // splitbrain-fs as the host runs it (disk faults only); or empty
    std::unique_ptr<ManagedProcess> master;
  };
  SshHosts() = default;
  // Starts the host's master connection (on the thread the run lives on: see Connect).
  Status StartMaster(Host& h, const std::string& log_dir);
  // Waits for the master, installs the agent, checks, resets, finds the member program.
  Status Open(Host& h, const TestPlan& plan, const std::string& log_dir);
  // The program `local` of this machine as host `h` runs it: the same path when it is there,
  // else copied to <home>/bin/ (by the agent's `install`).
  Result<std::string> Place(const Host& h, const std::string& local);
  const Host* Find(const std::string& id) const;
  // Beats host `i` every second (from the start of one beat to the next), until stopping_.
  void HeartbeatLoop(size_t i);

  std::vector<std::string> ids_;
  std::vector<Host> hosts_;
  std::string local_program_;  // plan.node.binary, which each host runs as its Host::program
  std::string control_dir_;    // mkdtemp'd under /tmp (a socket path must be short)
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                // GUARDED_BY(mu_)
  std::vector<std::thread> heartbeats_;  // one per host: a slow host delays no other's beat
};

}  // namespace splitbrain::harness

// NodeHosts: where a test's members live and how their network is cut — the lab's namespaces on
// this machine (lab.h) or real machines over SSH (ssh_hosts.h). ProcessCluster (systems/) starts,
// signals and stops members and sets network rules only through it. The runner owns one per
// test. A MemberProcess is used under its cluster's mutex (one caller at a time); NodeHosts
// itself is thread-safe as its implementations say.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "nemesis/fault.h"

namespace splitbrain::harness {

// One member's process on its machine: its own process group (signals reach all it spawns),
// output appended to node.log in its directory.
class MemberProcess {
 public:
  virtual ~MemberProcess() = default;
  // Starts `argv` with `env` added to the environment.
  virtual Status Start(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) = 0;
  virtual Status Signal(int sig) = 0;  // the whole process group
  virtual Status Kill() = 0;           // SIGKILL, and wait until it is gone
  // SIGCONT + SIGTERM, then SIGKILL when it has not exited within `grace`.
  virtual Status Terminate(std::chrono::milliseconds grace) = 0;
  virtual bool Running() = 0;
  virtual int exit_code() const = 0;    // after it ended; -1: killed by a signal or not known
  virtual pid_t local_pid() const = 0;  // -1 when it is not a process of this machine
};

// A member's splitbrain-fs (nemesis/diskfs/), the disk faults' file system, mounted over its
// data directory on its machine (a run whose plan has disk faults): in the lab DiskFs, on an SSH
// host the agent's mount. Thread-safe: Command from the nemesis while the runner unmounts.
class MemberDisk {
 public:
  virtual ~MemberDisk() = default;
  // One control command (nemesis/diskfs/control.h) and its reply; an error when splitbrain-fs
  // cannot be reached or answers {"ok": false}.
  virtual Result<nlohmann::json> Command(const std::string& line) const = 0;
  // splitbrain-fs unmounts and exits; the data stays where it was.
  virtual Status Unmount() = 0;
};

class NodeHosts {
 public:
  virtual ~NodeHosts() = default;
  virtual const std::vector<std::string>& ids() const = 0;  // n1..nN
  // The address a node's members listen on and the clients reach (10.77.0.11 for n1 in the lab).
  virtual std::string Ip(const std::string& id) const = 0;
  // The member's own directory on its machine (data/, events.jsonl, node.log), for a member
  // whose directory in the run store is `local_dir` (nodes/<id>): the lab uses `local_dir`.
  virtual std::string MemberDir(const std::string& id, const std::string& local_dir) const = 0;
  virtual std::unique_ptr<MemberProcess> NewMember(const std::string& id,
                                                   const std::string& local_dir) = 0;
  // Replaces every node's network rules with `rules` (empty: none), on every node at once.
  virtual Status SetRules(const std::vector<nemesis::NetRule>& rules) = 0;
  virtual Status SetDelays(const std::vector<nemesis::DelayRule>& rules) = 0;
  // After the member stopped: copies what it wrote on its machine (node.log, events.jsonl)
  // into `local_dir`. The lab: nothing to copy.
  virtual Status Collect(const std::string& id, const std::string& local_dir) = 0;
  // Writes `bytes` as file `name` (one plain name, no '/') of the member's directory on its
  // machine (MemberDir), replaced whole: a reader there never sees half of it. The lab writes
  // `local_dir/name`; an SSH host's agent `put`s it. For what a member reads while it runs (a
  // config file, libfaketime's offset).
  virtual Status WriteMemberFile(const std::string& id, const std::string& local_dir,
                                 const std::string& name, const std::string& bytes) = 0;
  // The libfaketime library on node `id`'s machine, as a member there preloads it; empty when
  // it has none (the lab: FindFaketime(); an SSH host: found by its agent when the plan has
  // clock faults, and the run refused without it).
  virtual std::string FaketimeLibrary(const std::string& id) const = 0;
  // Mounts splitbrain-fs over the data directory of member `id` (its data/ in MemberDir), its
  // control socket the abstract name `control` on that machine, its log splitbrain-fs.log in
  // the member's directory. kUnsupported, naming why, when it cannot (no FUSE there).
  virtual Result<std::unique_ptr<MemberDisk>> MountDisk(const std::string& id,
                                                        const std::string& local_dir,
                                                        const std::string& control) = 0;
  // True when members are processes of this machine (CPU throttle).
  virtual bool Local() const = 0;
};

// The libfaketime library on this machine (the first of kFaketimePaths that exists), or empty.
std::string FindFaketime();
// Where Debian and a source install put libfaketime, in the order looked at (here and by an SSH
// host's agent).
inline constexpr const char* kFaketimePaths[] = {
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1"};

// The nftables script that replaces table `inet splitbrain` on node `id` for `rules`; `ip` maps
// a node id to its address. Drops follow Jepsen: the receiver discards the sender's packets
// (input); one-way cuts are the sender's own packets on connections it opened (conntrack's
// original direction). Only that table is ever named.
std::string NftRulesFor(const std::string& id, const std::vector<nemesis::NetRule>& rules,
                        const std::function<std::string(const std::string&)>& ip);

}  // namespace splitbrain::harness

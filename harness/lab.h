// Lab: the private network a run's nodes live in (DESIGN.md "The lab"). The harness runs itself
// again as the first process of new user + network + PID + mount namespaces (clone(2)), where it
// is root and PID 1: when it dies, the kernel kills every node and frees every namespace and
// nftables rule with it. Inside, a bridge `sb0` (10.77.0.1/24, where the clients live) and, per
// node, a network namespace held by a `sleep` process, joined to the bridge by a veth, with
// address 10.77.0.(10+i). Network faults are nftables rules inside the node namespaces.
// Not thread-safe: the harness calls it from one thread at a time (the nemesis's).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/node_hosts.h"
#include "harness/subprocess.h"
#include "nemesis/fault.h"

namespace splitbrain::harness {

// True in a process that ReexecInLab started (and its children).
bool InsideLab();

// Checks that this machine lets us create the lab's namespaces; kUnsupported says exactly what
// is missing and what to change.
Status ProbeLabSupport();

// Runs this program again (`/proc/self/exe argv[1..]`) inside a fresh lab, as a child, and
// stays outside as its parent: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to this process are
// forwarded to it (again every half second until it exits, as PID 1 ignores a signal it has
// no handler for yet); SIGKILL of this process kills the lab. Then exits this process with the
// child's exit code, or 255 with a message when the child was killed by a signal. Returns only
// when the lab could not be entered. `argv` is the program's own argv. Started as real root,
// the lab's user namespace also maps kMemberUid/kMemberGid (nobody), so members can run
// unprivileged.
Status ReexecInLab(int argc, char** argv);

// The uid and gid the lab's members run as when the lab maps them (the harness started as root).
inline constexpr unsigned kMemberUid = 65534;
inline constexpr unsigned kMemberGid = 65534;

// The prefix that starts a member process (a node, an etcd member) with no capabilities at all
// (`setpriv`: every capability set cleared, no_new_privs) and, when this lab maps kMemberUid and
// every directory above `dir` lets it through, as kMemberUid with `dir` made its own. Otherwise
// the member keeps the lab's uid — the user who started the harness — without capabilities.
std::vector<std::string> UnprivilegedMember(const std::string& dir);

class Lab : public NodeHosts {
 public:
  // Builds the bridge and one namespace per node (ids n1..nN). Must run InsideLab().
  static Result<std::unique_ptr<Lab>> Create(int nodes, const std::string& log_dir);
  ~Lab() override;  // kills the namespace holders (their namespaces vanish with them)

  const std::vector<std::string>& ids() const override { return ids_; }
  std::string Ip(const std::string& id) const override;  // "10.77.0.11" for n1
  static std::string BridgeIp() { return "10.77.0.1"; }  // the clients' address
  // Prefix that runs a command inside the node's network namespace.
  std::vector<std::string> InNode(const std::string& id) const;
  // Replaces every node's rules with `rules` (empty: no rules). Atomic per node; every node's
  // at once (a drop rule sits on the receiving side: one node after another, a cut began as a
  // one-way cut).
  Status SetRules(const std::vector<nemesis::NetRule>& rules) override;
  // The nftables script a node gets for `rules` (exposed for tests).
  std::string RulesFor(const std::string& id, const std::vector<nemesis::NetRule>& rules) const;
  // Replaces every node's delays with `rules` (empty: none): for each node with delayed links,
  // one splitbrain-delay per distinct (mean, jitter, seed) in its namespace and iptables-nft
  // rules in its OUTPUT chain (`-d PEER -j NFQUEUE --queue-bypass`, chain SPLITBRAIN_DELAY) send
  // the packets to it. A node whose rules are unchanged is left alone; one whose rules change
  // loses its rules first, then its delayers (which release what they hold). kUnsupported when
  // the delayer or iptables-nft is missing or the kernel refuses the queue.
  Status SetDelays(const std::vector<nemesis::DelayRule>& rules) override;
  // NodeHosts: a member is a child of this process in its node's namespace, without
  // capabilities (UnprivilegedMember), its files in the run store itself.
  std::string MemberDir(const std::string&, const std::string& local_dir) const override {
    return local_dir;
  }
  std::unique_ptr<MemberProcess> NewMember(const std::string& id,
                                           const std::string& local_dir) override;
  Status Collect(const std::string&, const std::string&) override { return Status::Ok(); }
  // `local_dir/name`, through a temporary file renamed over it.
  Status WriteMemberFile(const std::string& id, const std::string& local_dir,
                         const std::string& name, const std::string& bytes) override;
  std::string FaketimeLibrary(const std::string&) const override { return FindFaketime(); }
  // DiskFs::Mount over `local_dir`/data, its log `local_dir`/splitbrain-fs.log: this process
  // mounts it in the lab's mount namespace, which the members share.
  Result<std::unique_ptr<MemberDisk>> MountDisk(const std::string& id, const std::string& local_dir,
                                                const std::string& control) override;
  bool Local() const override { return true; }
  // How SetDelays delays packets, as nemesis.jsonl records it: "nfqueue" (no tc netem here).
  static std::string DelayMechanism() { return "nfqueue"; }
  // The `splitbrain-delay` program: next to this one, in ../nemesis/delayer/ (a build tree), or
  // in PATH; empty when none is found.
  static std::string DelayerPath();
  // The namespace inode numbers of the node namespaces (for leak tests).
  std::vector<std::string> NamespaceIds() const;

 private:
  Lab() = default;
  Status AddNode(int i, const std::string& log_dir);
  int Index(const std::string& id) const;
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<ManagedProcess>> holders_;
  std::string log_dir_;
  // Per node (index as ids_): its delayed links now, and the delayers serving them.
  std::vector<std::vector<nemesis::DelayRule>> delays_;
  std::vector<std::vector<std::unique_ptr<ManagedProcess>>> delayers_;
  Status SetNodeDelays(size_t i, const std::vector<nemesis::DelayRule>& rules);
};

}  // namespace splitbrain::harness

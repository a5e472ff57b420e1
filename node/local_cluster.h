// LocalCluster: real splitbrain-node processes on 127.0.0.1, each with its own ports and data
// directory, for the integration tests and the benchmark. Owns the processes: the destructor
// SIGKILLs whatever is still running. Not thread-safe (one test thread drives it).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "node/client.h"

namespace splitbrain::node {

class LocalCluster {
 public:
  // `n` members n1..nN; data under `dir` (created). `extra_args` go to every node.
  LocalCluster(std::string binary, std::string dir, int n,
               std::vector<std::string> extra_args = {});
  ~LocalCluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  std::string Name(int i) const { return "n" + std::to_string(i + 1); }
  std::string PeerAddress(int i) const;
  std::string ClientAddress(int i) const;
  std::string DataDir(int i) const;

  // Adds one more node (not in the initial configuration; started with --join).
  int AddJoiner();

  // From the next Start on, each node leads a process group of its own (its pgid is its pid),
  // as the harness starts its members, so that the whole node can be signalled or CPU-throttled
  // by group (harness/cpu_throttle.h). Off by default: the nodes stay in the test's group, where
  // a terminal's Ctrl-C reaches them along with the test.
  void SetOwnProcessGroups(bool on) { own_process_groups_ = on; }

  Status Start(int i);  // starts node i (again) with its data directory as it is
  Status StartAll();
  void Kill(int i);             // SIGKILL and reap
  void Signal(int i, int sig);  // any signal (SIGSTOP/SIGCONT for pauses)
  int Terminate(int i);         // SIGTERM, wait, return the exit code (-1 if killed)
  bool Running(int i) const { return nodes_[i].pid > 0; }
  pid_t Pid(int i) const { return nodes_[i].pid; }  // -1 when not running
  // Nodes that exited on their own (crash, sanitizer report) since they were started, noticed
  // now or when they were killed or terminated; a test expects none.
  int UnexpectedExits();

  // GET /status of node i (null on error).
  nlohmann::json NodeStatus(int i,
                            std::chrono::milliseconds deadline = std::chrono::milliseconds(500));
  // Waits until the running nodes agree on one leader; its index, or -1 at the deadline.
  int WaitForLeader(std::chrono::milliseconds deadline, int exclude = -1);
  // Sends `command`, following redirects to the leader, until ok/unknown, a final fail (409,
  // 400, 413) or the deadline.
  Reply Command(const nlohmann::json& command, std::chrono::milliseconds deadline);
  // Waits until node i has applied at least `index`.
  bool WaitApplied(int i, uint64_t index, std::chrono::milliseconds deadline);
  int IndexOfName(const std::string& name) const;

 private:
  struct Proc {
    uint16_t peer_port = 0;
    uint16_t client_port = 0;
    pid_t pid = -1;
    bool joiner = false;
  };
  std::string binary_;
  std::string dir_;
  std::vector<std::string> extra_args_;
  std::vector<Proc> nodes_;
  int initial_ = 0;
  int unexpected_exits_ = 0;
  int hint_ = 0;  // node last seen as leader
  bool own_process_groups_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range (so no
// outgoing connection can take it before the node binds it).
uint16_t FreePort();

}  // namespace splitbrain::node

// System: the system under test, as the harness drives it. One adapter per system (splitbrain-node,
// etcd, ...) says how to start, stop, kill, pause and restart a member on its host (NodeHosts), how
// to tell who leads, how a client talks to it, and what it cannot do. The runner, the nemesis, the
// workloads and the checkers only ever see this interface: adding a system is one new adapter
// (harness/systems/README.md), one line in Systems() (registry.cc) and its entry in catalog.cc.
// A System is thread-safe: the nemesis,
// the workers and the status loop call it at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "harness/lab.h"
#include "harness/node_hosts.h"
#include "harness/plan.h"
#include "harness/systems/catalog.h"
#include "nemesis/nemesis.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::harness {

class System : public nemesis::FaultInjector {
 public:
  // Starts every member on fresh data under <run>/nodes/<id>/.
  virtual Status StartAll() = 0;
  // Waits until some member says a leader is elected; returns the leader's node id. kTimeout at
  // the deadline; kUnavailable at once when every member has exited (with why).
  virtual Result<std::string> WaitForLeader(std::chrono::milliseconds deadline) = 0;
  // Each member's own status (null where it did not answer), saved as nodes/<id>/status.json. It
  // carries at least `role` ("leader", "follower", ...) and `term`, in splitbrain-node's words.
  virtual std::map<std::string, nlohmann::json> Statuses(std::chrono::milliseconds per_node) = 0;
  // Stops every member (SIGTERM, SIGKILL after `grace`), saving its last status first.
  virtual Status StopAll(std::chrono::milliseconds grace) = 0;
  // Undoes whatever the nemesis left: resumes paused members, restarts killed ones, re-adds
  // removed ones.
  virtual Status Recover() = 0;
  // A client for logical process `slot`: its home member is `slot` mod the member count, and
  // where each operation begins follows the plan's workload.placement (workloads/placement.h).
  virtual std::unique_ptr<workloads::Client> NewClient(size_t slot) = 0;
};

// What an adapter gets to build a System for one test.
struct SystemContext {
  NodeHosts* hosts = nullptr;  // the lab, or the plan's hosts over SSH
  TestPlan plan;               // plan.node.binary is the resolved program (FindBinary)
  std::string run_dir;         // store/<test>/<timestamp>
};

struct SystemAdapter {
  std::string name;  // the plan's `system:` value; what it cannot do is in catalog.h
  // Finds the member program before the lab starts: `flag` (--node-binary), else the plan's
  // node.binary, else the adapter's default place. An error says what to install.
  std::function<Result<std::string>(const TestPlan& plan, const std::string& flag)> find_binary;
  std::function<std::unique_ptr<System>(SystemContext context)> make;
};

// The plan's workload.placement (home when the name is unknown; plans are validated first).
workloads::Placement PlanPlacement(const TestPlan& plan);
// The random-placement seed of the `made`-th client an adapter creates for `slot`: derived from
// the run's seed, so a run's placements follow from its seed.
uint64_t ClientSeed(const TestPlan& plan, size_t slot, uint64_t made);

// For find_binary: `path` made absolute when it is an executable; NotFound with `missing` (what
// was looked at, what to install) otherwise.
Result<std::string> ExecutableOr(const std::string& path, const std::string& missing);

}  // namespace splitbrain::harness

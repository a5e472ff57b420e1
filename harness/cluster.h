// Cluster: the test's nodes as processes in the lab, and the FaultInjector the nemesis acts
// through (kill/restart, pause/resume, nftables rules, libfaketime offsets, membership). Each
// node runs `splitbrain-node` in its own network namespace and process group, its output in
// nodes/<id>/node.log, its data in nodes/<id>/data. Thread-safe: one mutex around the nodes'
// state; status queries run outside it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/lab.h"
#include "harness/plan.h"
#include "harness/subprocess.h"
#include "nemesis/nemesis.h"
#include "workloads/cluster_client.h"

namespace splitbrain::harness {

constexpr int kPeerPort = 7000;
constexpr int kClientPort = 8000;

class Cluster : public nemesis::FaultInjector {
 public:
  // `clock_faults`: start nodes under libfaketime so clock-skew can act on them.
  Cluster(Lab* lab, const TestPlan& plan, std::string node_binary, std::string run_dir,
          bool clock_faults);
  ~Cluster() override;

  Status StartAll();
  // Polls /status until some node says it is leader; returns its id. kTimeout at the deadline.
  Result<std::string> WaitForLeader(std::chrono::milliseconds deadline);
  // Each node's GET /status (null where it did not answer), for nodes/<id>/status.json.
  std::map<std::string, nlohmann::json> Statuses(std::chrono::milliseconds per_node);
  // SIGTERM every node (SIGKILL after `grace`), writing each one's last status first.
  Status StopAll(std::chrono::milliseconds grace);
  // Whatever the nemesis did: resume paused nodes, restart killed ones, re-add removed ones.
  Status Recover();
  std::vector<workloads::NodeAddress> Addresses() const;
  std::optional<std::string> KnownLeader() const;

  // nemesis::FaultInjector
  nemesis::ClusterView View() override;
  Status Kill(const std::string& id) override;
  Status Restart(const std::string& id) override;
  Status Pause(const std::string& id) override;
  Status Resume(const std::string& id) override;
  Status SetNetwork(const std::vector<nemesis::NetRule>& rules) override;
  Status SetClockOffset(const std::string& id, int64_t offset_ns) override;
  Status RemoveMember(const std::string& id) override;
  Status AddMember(const std::string& id) override;

 private:
  struct Node {
    std::string id;
    std::unique_ptr<ManagedProcess> process;
    bool paused = false;
    bool killed = false;
    bool removed = false;
    std::string dir;  // nodes/<id>
  };
  Status StartNode(Node& n, bool join);
  std::vector<std::string> NodeArgs(const Node& n, bool join) const;
  // Sends an admin call to the leader, following redirects, until ok or the deadline.
  node::Reply AdminToLeader(const std::string& method, const std::string& target,
                            const nlohmann::json& body, std::chrono::milliseconds deadline);
  std::string ClientAddress(const std::string& id) const;
  std::string PeerAddress(const std::string& id) const;

  Lab* lab_;
  TestPlan plan_;
  std::string node_binary_;
  std::string run_dir_;
  bool clock_faults_;
  std::string faketime_lib_;
  mutable std::mutex mu_;
  std::vector<Node> nodes_;                 // GUARDED_BY(mu_)
  std::optional<std::string> last_leader_;  // GUARDED_BY(mu_)
};

// The faketime library, or empty when libfaketime is not installed.
std::string FindFaketime();

}  // namespace splitbrain::harness

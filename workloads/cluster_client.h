// ClusterClient: the Client of a splitbrain-node cluster. Each operation begins at the node its
// placement picks (workloads/placement.h: by default the client's home node), follows "not
// leader" redirects and moves to another node when one refuses or is down — but only while every
// attempt so far certainly did not take effect (fail); the first unknown answer ends the
// operation as info (STYLE.md: never retry what might have happened). It keeps one keep-alive
// connection per node it has talked to. Not thread-safe: one per worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/client.h"
#include "workloads/client.h"
#include "workloads/placement.h"

namespace splitbrain::workloads {

class ClusterClient : public Client {
 public:
  // `slot` is the logical client's index (its home node is slot mod the node count); `seed`
  // feeds the random placement.
  ClusterClient(std::vector<NodeAddress> nodes, size_t slot, Placement placement, uint64_t seed);
  node::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout,
                   std::string* answered_by) override;

 private:
  void MoveTo(size_t i);
  std::vector<NodeAddress> nodes_;
  NodePicker picker_;
  size_t current_;
  // One connection per node, made on first use; clients_[current_] is the one in use.
  std::vector<std::unique_ptr<node::Client>> clients_;
};

}  // namespace splitbrain::workloads

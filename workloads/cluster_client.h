// ClusterClient: the Client of a splitbrain-node cluster. Wraps node::Client, follows "not
// leader" redirects and moves to another node when one refuses or is down — but only while every
// attempt so far certainly did not take effect (fail); the first unknown answer ends the
// operation as info (STYLE.md: never retry what might have happened). Not thread-safe: one per
// worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/client.h"
#include "workloads/client.h"

namespace splitbrain::workloads {

class ClusterClient : public Client {
 public:
  ClusterClient(std::vector<NodeAddress> nodes, size_t first);
  node::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout,
                   std::string* answered_by) override;

 private:
  void MoveTo(size_t i);
  std::vector<NodeAddress> nodes_;
  size_t current_;
  std::unique_ptr<node::Client> client_;
};

}  // namespace splitbrain::workloads

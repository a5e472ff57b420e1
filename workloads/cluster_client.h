// ClusterClient: one logical process's way to the cluster. Wraps node::Client, follows "not
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
#include "workloads/workload.h"

namespace splitbrain::workloads {

struct NodeAddress {
  std::string id;      // "n1"
  std::string client;  // "10.77.0.11:8000"
};

// A history completion: type "ok" | "fail" | "info", its value, and the node that answered.
struct Completion {
  std::string type;
  nlohmann::json value;
  std::string node;
  std::string error;  // why, for fail/info
};

class ClusterClient {
 public:
  ClusterClient(std::vector<NodeAddress> nodes, size_t first);
  // Sends one command until an answer that is not a definite refusal, or the deadline.
  node::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout,
                   std::string* answered_by);
  // Runs a workload op: command, answer, completion (and updates the process's state).
  Completion Execute(const Workload& w, const Op& op, ProcessState& st,
                     std::chrono::milliseconds timeout);

 private:
  void MoveTo(size_t i);
  std::vector<NodeAddress> nodes_;
  size_t current_;
  std::unique_ptr<node::Client> client_;
};

}  // namespace splitbrain::workloads

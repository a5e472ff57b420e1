// Client: how one logical process of a workload reaches the system under test. Workloads speak
// one command language (docs/CONTRACTS.md "Commands": {"op": "write", "key": ..., ...}); each
// system's adapter turns a command into its own protocol and its answer back into a
// node::Reply with a three-valued outcome. The outcome rule is the same for every system
// (STYLE.md): ok only on a definite success, fail only when the command certainly did not take
// effect, unknown otherwise — never retry what might have happened. Not thread-safe: one per
// worker thread.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "node/client.h"
#include "records/outcome.h"
#include "workloads/workload.h"

namespace splitbrain::workloads {

struct NodeAddress {
  std::string id;      // "n1"
  std::string client;  // "10.77.0.11:8000"
};

// A history completion: its outcome (written "ok" | "fail" | "info"), its value, and the node
// that answered.
struct Completion {
  records::Outcome outcome = records::Outcome::kUnknown;
  nlohmann::json value;
  std::string node;
  std::string error;  // why, for fail/info
};

class Client {
 public:
  virtual ~Client() = default;
  // Sends one command until an answer that is not a definite refusal, or the deadline.
  // `answered_by` receives the id of the node that gave the answer.
  virtual node::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout,
                           std::string* answered_by) = 0;
  // Runs a workload op: command, answer, completion (and updates the process's state).
  Completion Execute(const Workload& w, const Op& op, ProcessState& st,
                     std::chrono::milliseconds timeout);
};

}  // namespace splitbrain::workloads

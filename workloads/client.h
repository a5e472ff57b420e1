// Client: how one logical process of a workload reaches the system under test. Workloads speak
// one command language (docs/CONTRACTS.md "Commands": {"op": "write", "key": ..., ...}); each
// system's client turns a command into its own protocol and its answer back into a
// records::Reply with a three-valued outcome. The outcome rule is the same for every system
// (STYLE.md): ok only on a definite success, fail only when the command certainly did not take
// effect, unknown otherwise — never retry what might have happened. Not thread-safe: one per
// worker thread.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "records/outcome.h"
#include "records/reply.h"
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

// The completion of `op` given the system's `reply`, as Client::Execute makes it (updating the
// process's state); for interpreters that send commands their own way (harness/sim/).
Completion CompletionFor(const Workload& w, const Op& op, const records::Reply& reply,
                         ProcessState& st);

class Client {
 public:
  virtual ~Client() = default;
  // Sends one command, trying other members after a member's refusal (records::Refusal), until
  // an answer that stands or the deadline `timeout` from now. The reply's `node` is the member that
  // gave the answer (empty when none did).
  virtual records::Reply Send(const nlohmann::json& command, std::chrono::milliseconds timeout) = 0;
  // After an unknown the worker starts a fresh logical process (a new process id: Jepsen's
  // rule). True when this client serves it as it is, having kept nothing of the unknown
  // operation; false (the default) when the worker must ask the system for a new client.
  virtual bool Renew() { return false; }
  // Runs a workload op: command, answer, completion (and updates the process's state).
  Completion Execute(const Workload& w, const Op& op, ProcessState& st,
                     std::chrono::milliseconds timeout);
};

}  // namespace splitbrain::workloads

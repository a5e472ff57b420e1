// Workloads: what the clients of a test do (register, kv, set, counter, bank, lock): the
// generator of their operations, how an operation becomes a node command and how the node's
// answer becomes a history completion (docs/CONTRACTS.md "History"), the final reads, and the
// checkers that judge them. A Workload is immutable after construction and thread-safe;
// per-process state (the lock a process holds) lives in ProcessState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/outcome.h"
#include "workloads/generator.h"

namespace splitbrain::workloads {

struct WorkloadConfig {
  std::string name = "register";
  int keys = 4;
  double read_fraction = 0.5;
  // register: writes and cas draw their values from [0, values); 0 (the default): every write
  // and cas writes a value never written before, and a cas expects one of its key's latest
  // values — the write each read saw is then known (the checker's unique-value check).
  int values = 0;
  int accounts = 5;
  int64_t initial_balance = 100;
  int64_t lock_ttl_ms = 10'000;  // lock: how long a lock lasts without its holder (lease TTL)
  int64_t lock_hold_ms = 0;      // lock: how long a process keeps a lock before releasing it
};

// What one logical process remembers between its operations.
struct ProcessState {
  int64_t process = 0;
  nlohmann::json held_token;  // lock: the token this process holds (null: none)
  std::string held_key;
};

class Workload {
 public:
  explicit Workload(WorkloadConfig c) : config_(std::move(c)) {}
  virtual ~Workload() = default;
  const WorkloadConfig& config() const { return config_; }
  // The main phase's operations (endless; the harness adds rate and time limits).
  virtual GenPtr MakeGenerator(Rng rng) const = 0;
  // Fixes up an op for the process about to invoke it (lock: acquire or release what it holds).
  virtual void Prepare(Op& op, const ProcessState& st) const;
  // Run once before the workload starts, not recorded (bank: open the accounts).
  virtual std::vector<nlohmann::json> SetupCommands() const { return {}; }
  // What a process still has to do when the run ends (lock: release what it holds).
  virtual std::vector<Op> CleanupOps(const ProcessState& st) const;
  // Final reads after the cluster has healed (set: the whole set; bank: every balance).
  virtual std::vector<Op> FinalReads() const = 0;
  // The node command (POST /command body) for an op.
  virtual nlohmann::json ToCommand(const Op& op, const ProcessState& st) const = 0;
  // The ok completion's history value, given the node's `value`.
  virtual nlohmann::json OkValue(const Op& op, const nlohmann::json& node_value) const;
  // After a completion: update the process's state (lock: remember the token).
  virtual void Observe(const Op& op, records::Outcome outcome, const nlohmann::json& value,
                       ProcessState& st) const;
  // How long the process waits after this completion before its next operation (lock: a
  // holder keeps the lock a while).
  virtual int64_t HoldAfterNs(const Op& op, records::Outcome outcome) const;
  // The bank's conserved total (-1: none).
  virtual int64_t BankTotal() const { return -1; }

 protected:
  WorkloadConfig config_;
};

// The registry of workloads: every workload a plan may name, with the checkers it gets when the
// plan names none and how it is built. The plan validator and MakeWorkload read it; there is no
// other list of workload names (a test checks each is documented in plans/README.md).
struct WorkloadKind {
  std::string name;
  // What its history is, as the checkers name it (checker::CheckerKind::models): linearizable's
  // model for it, and what the plan validator matches against the checkers a plan names.
  std::string model;
  std::vector<std::string> default_checkers;
  std::unique_ptr<Workload> (*make)(const WorkloadConfig& config);
  // Refuses a configuration the workload cannot run (bank: fewer than 2 accounts); null: none.
  Status (*validate)(const WorkloadConfig& config) = nullptr;
};
const std::vector<WorkloadKind>& WorkloadKinds();
const WorkloadKind* FindWorkloadKind(const std::string& name);
const std::vector<std::string>& WorkloadNames();

Result<std::unique_ptr<Workload>> MakeWorkload(const WorkloadConfig& config);

}  // namespace splitbrain::workloads

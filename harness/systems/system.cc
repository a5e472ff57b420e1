#include "harness/systems/system.h"

#include <unistd.h>

#include <filesystem>

#include "common/rng.h"
#include "harness/systems/etcd.h"
#include "harness/systems/splitbrain.h"

namespace splitbrain::harness {

const std::vector<SystemAdapter>& Systems() {
  // A new system: its adapter file in this folder and one line here (README.md, "Adding a
  // system").
  static const std::vector<SystemAdapter> kSystems = {SplitbrainAdapter(), EtcdAdapter()};
  return kSystems;
}

const SystemAdapter* FindSystem(const std::string& name) {
  for (const auto& s : Systems()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> SystemNames() {
  std::vector<std::string> out;
  for (const auto& s : Systems()) out.push_back(s.name);
  return out;
}

workloads::Placement PlanPlacement(const TestPlan& plan) {
  return workloads::ParsePlacement(plan.workload.placement).value_or(workloads::Placement::kHome);
}

uint64_t ClientSeed(const TestPlan& plan, size_t slot, uint64_t made) {
  uint64_t state = plan.seed.value_or(0) ^ 0x706c6163656d656eULL;  // "placemen"
  state += SplitMix64(state) ^ (static_cast<uint64_t>(slot) << 32) ^ made;
  return SplitMix64(state);
}

std::string UnsupportedReason(const std::string& system, const std::string& what) {
  const SystemAdapter* s = FindSystem(system);
  if (!s) return "";
  auto it = s->unsupported.find(what);
  return it == s->unsupported.end() ? "" : it->second;
}

Result<std::string> ExecutableOr(const std::string& path, const std::string& missing) {
  if (path.empty() || access(path.c_str(), X_OK) != 0) return Status::NotFound(missing);
  return std::filesystem::absolute(path).string();
}

}  // namespace splitbrain::harness

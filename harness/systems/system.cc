#include "harness/systems/system.h"

#include <unistd.h>

#include <filesystem>

#include "common/rng.h"

namespace splitbrain::harness {

workloads::Placement PlanPlacement(const TestPlan& plan) {
  return workloads::ParsePlacement(plan.workload.placement).value_or(workloads::Placement::kHome);
}

uint64_t ClientSeed(const TestPlan& plan, size_t slot, uint64_t made) {
  uint64_t state = plan.seed.value_or(0) ^ 0x706c6163656d656eULL;  // "placemen"
  state += SplitMix64(state) ^ (static_cast<uint64_t>(slot) << 32) ^ made;
  return SplitMix64(state);
}

Result<std::string> ExecutableOr(const std::string& path, const std::string& missing) {
  if (path.empty() || access(path.c_str(), X_OK) != 0) return Status::NotFound(missing);
  return std::filesystem::absolute(path).string();
}

}  // namespace splitbrain::harness

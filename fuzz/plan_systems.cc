// The two functions of harness/systems/system.h that harness/plan.cc calls, for plan_fuzz only:
// the real registry (system.cc) pulls in every adapter, the lab, the workloads and Boost.Beast,
// none of which the parser needs. Two systems, the second refusing one fault, keep both the
// "system:" check and the unsupported-feature refusal reachable.
#include <string>
#include <vector>

#include "harness/systems/system.h"

namespace splitbrain::harness {

std::vector<std::string> SystemNames() { return {"splitbrain", "etcd"}; }

std::string UnsupportedReason(const std::string& system, const std::string& what) {
  if (system == "etcd" && what == "fault:clock-skew") return "has no effect on etcd (fuzz stub)";
  return "";
}

}  // namespace splitbrain::harness

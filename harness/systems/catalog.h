// The systems under test as data: each one's name and what it cannot do, with the reason a plan
// asking for it is refused. The plan validator reads this table; it sits below the adapters
// (harness/systems/registry.h), which need the plan, so the plan never depends on them.
// Immutable after first use; safe to read from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace splitbrain::harness {

struct SystemInfo {
  std::string name;  // the plan's `system:` value
  // What the system cannot do. Keys: "fault:<name>", "checker:<name>", "workload:<name>", and
  // "needs:<capability>" for every fault kind that needs it (nemesis/fault_kind.h); values:
  // why, as the refusal says it. Absent: it can.
  std::map<std::string, std::string> unsupported;
};

// Every system a plan may name, the default (splitbrain) first. A new system: one entry here and
// its adapter in registry.cc (harness/systems/README.md).
const std::vector<SystemInfo>& SystemCatalog();
std::vector<std::string> SystemNames();
// Why `system` cannot do `what` ("fault:clock-skew": its own entry, else the entry for what the
// fault kind needs), or empty when it can (or is unknown).
std::string UnsupportedReason(const std::string& system, const std::string& what);

}  // namespace splitbrain::harness

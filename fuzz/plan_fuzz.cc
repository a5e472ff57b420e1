// Fuzz target: the plan parser (harness::ParsePlanText) on a plan whose text is the input. A plan
// that parses must also print (PlanToYaml) and parse back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "harness/plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace harness = splitbrain::harness;
  // Includes resolve against the plan's folder: one that does not exist, so no file is read.
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto plans = harness::ParsePlanText(text, "/nonexistent/fuzz/plan.yaml");
  if (!plans.ok()) return 0;
  for (const auto& plan : *plans) {
    auto again = harness::ParsePlanText(harness::PlanToYaml(plan), "/nonexistent/fuzz/again.yaml");
    if (!again.ok() || again->size() != 1) __builtin_trap();
  }
  return 0;
}

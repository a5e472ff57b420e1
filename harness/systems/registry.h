// The adapters of the systems under test, by name: how each finds its program and builds a
// System for a test. Above the adapters and the plan; what each system cannot do is data in
// catalog.h, below the plan. Immutable after first use; safe to read from any thread.
#pragma once

#include <string>
#include <vector>

#include "harness/systems/system.h"

namespace splitbrain::harness {

// Every adapter, in SystemCatalog() order (a test checks the two agree).
const std::vector<SystemAdapter>& Systems();
// The adapter called `name`; nullptr when there is none.
const SystemAdapter* FindSystem(const std::string& name);

}  // namespace splitbrain::harness

// Ddmin: Zeller and Hildebrandt's delta debugging ("Simplifying and Isolating Failure-Inducing
// Input", 2002) over a list of items named by index: the subset it returns still fails and is
// 1-minimal as far as `fails` is deterministic (no single item of it can be removed). Pure apart
// from the calls to `fails`; no state, any thread. `splitbrain shrink` runs it over the faults of
// a failing run (shrink.h); its own test drives it with a fake oracle.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace splitbrain::harness::shrink {

// `fails(subset)` says whether the run with only those items (indices into 0..n-1, ascending)
// still fails. The whole set must fail (the caller checks it); the empty set is not tried (the
// caller tries it first when it is worth one run). Returns the indices kept, ascending.
std::vector<size_t> Ddmin(size_t n, const std::function<bool(const std::vector<size_t>&)>& fails);

}  // namespace splitbrain::harness::shrink

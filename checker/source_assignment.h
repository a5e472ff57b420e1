// The register's search over read assignments (issue 20): instead of searching orders of
// operations, choose for each reader (an ok read, a cas's expected value) the write it saw, and
// let the unique-value check (unique_values.h) judge each choice — once every write has a value
// of its own the check decides in O(n log n). After the split by read sources (read_sources.h)
// most readers have one candidate; only the others are choices, tried in time order, each
// partial choice judged by a relaxation that can only refute what no completion saves.
// Internal to checker/. Pure: one call per key; calls may run in parallel.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "checker/lin_search.h"
#include "checker/models.h"

namespace splitbrain::checker::internal {

struct AssignmentStats {
  int64_t choices = 0;        // readers with two or more candidates (the search's variables)
  uint64_t oracle_calls = 0;  // unique-value checks run
  uint64_t backtracks = 0;    // choices that were refuted and replaced by the next candidate
  bool capped = false;        // gave up at max_calls, the deadline or `stop` (no verdict)
  double seconds = 0;         // spent in the assignment search
};

// Decides one key's register operations (ok and info ones, failed ops and info reads left out,
// as for CheckUniqueValues), or std::nullopt when it does not: the candidate lists are too long
// (a narrow domain) or would not fit in the memory budget left, no reader has a choice (the
// unique-value check or the search decides), or the search gave up after `max_calls`
// unique-value checks, at half the time left before the limits' deadline, or at their stop flag.
// `first`, when set, is called once the key is known to suit this search and before it starts:
// a verdict it returns is returned as it is (linearizable.cc: a short search over orders). A
// verdict is kValid or kInvalid (`reason` in words, `blocking` an index into `ops`, no prefix),
// with `assigned` set.
std::optional<SearchOutcome> SearchSourceAssignment(
    const ValueTable& values, uint32_t initial, const std::vector<LinOp>& ops,
    const SearchLimits& limits, uint64_t max_calls, AssignmentStats* stats,
    const std::function<std::optional<SearchOutcome>()>& first = {});

}  // namespace splitbrain::checker::internal

// The register's fast path for unique values (issue 20): when no two operations of a key write
// the same value (cas included) and none writes the initial value, the write each read saw is
// known, and linearizability is decided in O(n log n) without a search (after Gibbons and
// Korach's read-mapping argument, extended here to cas chains and indeterminate operations).
// Internal to checker/. Pure: one call per key, calls may run in parallel.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "checker/lin_search.h"
#include "checker/models.h"

namespace splitbrain::checker::internal {

// Decides one key's register operations (ok and info ones; failed operations and info reads
// already left out), or std::nullopt when the values are not unique (then the search decides).
// `initial`: the register's initial value id. The outcome is kValid or kInvalid; an invalid one
// names the operation that cannot be placed (`blocking`, an index into `ops`), the value it
// needed and, in `reason`, why (ops named as "op N", N = LinOp::id); `prefix` is empty.
std::optional<SearchOutcome> CheckUniqueValues(const ValueTable& values, uint32_t initial,
                                               const std::vector<LinOp>& ops);

}  // namespace splitbrain::checker::internal

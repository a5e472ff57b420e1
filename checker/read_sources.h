// The register's read sources (issue 20): which writes may have produced the value an operation
// observes (a read's result, a cas's expected value). A value written many times is, to the
// search, one value; but a read can only have seen a write that nothing certainly overwrote
// before the read began. Writes no read can confuse get values of their own, so a narrow domain
// (values 0-99 over 10k events, each written ~15 times) becomes a wide or unique one, where
// the search's pruning (lin_search.cc) or the unique-value check (unique_values.h) decides. An
// operation that no write can have served refutes the key at once, with no search.
// Internal to checker/. Pure: one call per key; calls may run in parallel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checker/models.h"

namespace splitbrain::checker::internal {

struct ReadSources {
  // True when some value was split: the ops were rewritten to ids into `values`, the key's own
  // table (dense, texts as in the shared one), with `initial` its initial value. False: the
  // ops are unchanged (and `values` is empty).
  bool split = false;
  ValueTable values;
  uint32_t initial = 0;
  int64_t values_before = 0;  // distinct values written (and the initial one)
  int64_t values_after = 0;   // the same after the split (== values_before when not split)
  // An ok op (index into ops) that needs a value no write can have produced, or -1; `reason`
  // says why, naming ops as "op N" (N = LinOp::id) as unique_values.h does.
  int32_t refuted = -1;
  std::string reason;
};

// One key's register operations (ok and info; failed ones and info reads already left out), in
// any order. `values` is the check's shared table, `initial` the register's first value. When a
// value splits, `ops` get the new ids (indices and order are kept).
ReadSources SplitBySource(const ValueTable& values, uint32_t initial, std::vector<LinOp>& ops);

// The candidate rule of SplitBySource (1 in read_sources.cc), reader by reader, for the search
// over read assignments (source_assignment.h): for each op that needs a value (an ok read, a
// cas), the ops that may have written what it saw (indices into `ops`, in call order), with
// kInitialSource first when the initial value may have. Ops that need nothing, and ok ops no
// write can have served, get an empty list. std::nullopt when the lists would hold more than
// `limit` entries in all, or more than 4 * limit writes were scanned (a narrow domain the split
// left whole).
constexpr int32_t kInitialSource = -1;
std::optional<std::vector<std::vector<int32_t>>> SourceCandidates(const std::vector<LinOp>& ops,
                                                                  uint32_t initial, size_t limit);

}  // namespace splitbrain::checker::internal

// The search's default memory budget: a share of the machine's memory, so a hard history ends
// unknown with a clear reason instead of being killed by the kernel (issue 20). Used by
// `splitbrain check` when --max-memory is not given and by the harness's checkers in a run.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace splitbrain::checker {

// Half of MemTotal, capped at kMaxDefaultMemoryBytes; kFallbackMemoryBytes when `meminfo` (the
// text of /proc/meminfo) has no readable MemTotal.
constexpr int64_t kMaxDefaultMemoryBytes = int64_t{16} << 30;
constexpr int64_t kFallbackMemoryBytes = int64_t{2} << 30;
int64_t DefaultMemoryBudgetFrom(std::string_view meminfo);

// DefaultMemoryBudgetFrom(this machine's /proc/meminfo).
int64_t DefaultMemoryBudgetBytes();

}  // namespace splitbrain::checker

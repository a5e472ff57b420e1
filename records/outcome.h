// Outcome: how an operation ended, the one three-valued answer every part of splitbrain speaks
// (STYLE.md, after Jepsen): ok = happened, fail = certainly did not happen, unknown = may have.
// The history file writes unknown as "info" (Jepsen's word); the node's API as "unknown".
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace splitbrain::records {

enum class Outcome : uint8_t { kOk, kFail, kUnknown };

// "ok", "fail", "unknown": the node API's and the workloads' word.
const char* OutcomeName(Outcome outcome);
// "ok", "fail", "info": the history's "type" of a completion (docs/FORMAT.md).
const char* HistoryType(Outcome outcome);
// Reads a completion's history type ("ok", "fail", "info"); false for any other word.
bool ParseHistoryType(std::string_view type, Outcome* out);

}  // namespace splitbrain::records

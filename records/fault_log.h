// The fault log, nemesis.jsonl (docs/CONTRACTS.md "Nemesis log"): one line per fault phase —
// {"time","phase","id","fault","targets","links","detail"} — written by the nemesis before it
// acts and read by the checkers (availability, term-churn) and the report. This is its one
// reader and its one line format. Plain values; the functions are pure apart from reading files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/history_jsonl.h"

namespace splitbrain::records {

struct FaultEvent {
  int64_t time = 0;   // ns since the run began (the history's clock)
  std::string phase;  // "start", "end", "unsupported"
  int64_t id = 0;     // pairs a start with its end
  std::string fault;  // the fault kind's name, as the plan spells it
  std::vector<std::string> targets;                        // the nodes acted on
  std::vector<std::pair<std::string, std::string>> links;  // directed [from, to] pairs cut
  nlohmann::json detail;  // per-fault facts (an object); null when the line has none
  int64_t line = 0;                                        // 1-based line in the file
};

// The line for one event (no newline): every field, in the order above.
nlohmann::json FaultEventJson(const FaultEvent& event);

// Reads nemesis.jsonl text. Strict (options.warnings null): a line without an integer "time"
// and a string "phase" is an error naming it. Forgiving: such lines are skipped and described.
Result<std::vector<FaultEvent>> ParseFaultLog(std::string_view text, const std::string& source,
                                              const ReadOptions& options = {});
// The same from a file; an unreadable file is an IoError.
Result<std::vector<FaultEvent>> ReadFaultLog(const std::string& path,
                                             const ReadOptions& options = {});

}  // namespace splitbrain::records

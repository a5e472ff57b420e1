// RunData: everything a report draws, read from one run directory of the store (DESIGN.md,
// docs/CONTRACTS.md). Reading is forgiving: a run that crashed half-way still gets a report, so
// missing or malformed files become `warnings`, never errors. Plain values; not synchronised.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "nlohmann/json.hpp"

namespace splitbrain::results {

enum class OpType { kOk = 0, kFail = 1, kInfo = 2, kPending = 3 };

// One client operation: an invoke line paired with the next completion of the same process.
struct Operation {
  int64_t process = 0;
  std::string f;
  std::string key;  // empty when the history has no key
  OpType type = OpType::kPending;
  int64_t invoke_ns = 0;     // ns since the run began
  int64_t complete_ns = -1;  // ns since the run began; -1 when the history never completed it
  std::string value;         // the invocation's value as compact JSON, shortened for display
  std::string result;        // the completion's value as compact JSON; empty when absent
  std::string node;          // the node that answered; empty when unknown
  int64_t invoke_line = 0;   // 0-based line of the invoke in history.jsonl
};

// One fault window from nemesis.jsonl (a start line and its matching end line).
struct Fault {
  int64_t id = 0;
  std::string fault;
  std::vector<std::string> targets;
  std::vector<std::pair<std::string, std::string>> links;  // directed [from, to] pairs cut
  // delay: the directed [from, to] pairs whose packets were held (detail.delayed); else empty
  std::vector<std::pair<std::string, std::string>> delayed;
  int64_t start_ns = 0;
  int64_t end_ns = -1;       // -1: never ended before the history did
  bool unsupported = false;  // the machine could not inject it (phase "unsupported")
  std::string detail;        // compact JSON of "detail"; empty when absent
};

// One line of nodes/<id>/events.jsonl, kept only for the kinds the report draws.
struct NodeEvent {
  int64_t t_ns = 0;   // ns since the run began (converted from the node's wall clock)
  std::string event;  // start | role | commit | snapshot | restore | membership
  int64_t term = -1;
  std::string role;    // for "role"
  std::string leader;  // for "role"; empty when null
  int64_t index = -1;  // commit/snapshot/restore/membership index; commit for "start"
  std::string source;  // for "restore": "leader" (InstallSnapshot) or "disk"; empty when absent
};

struct LogTail {
  std::string file;           // path relative to the node's folder
  std::string text;           // the last lines
  int64_t skipped_lines = 0;  // lines before the tail that were left out
};

struct NodeData {
  std::string id;
  std::vector<NodeEvent> events;  // commit events thinned to at most kMaxCommitPoints
  int64_t event_lines = 0;        // every line of events.jsonl, thinned or not
  std::vector<LogTail> logs;
};

struct RunData {
  std::filesystem::path dir;
  nlohmann::json results = nlohmann::json::object();  // results.json as written
  std::string plan_yaml;                              // plan.yaml as written
  std::vector<Operation> ops;                         // in invocation order
  std::vector<Fault> faults;                          // in start order
  std::vector<NodeData> nodes;                        // by id
  int64_t end_ns = 0;             // the last time seen in the history or fault log
  int64_t start_wall_ns = -1;     // wall clock at time 0 (from results.started); -1 unknown
  bool history_has_times = true;  // false: times were made up from line numbers
  // No results.json: the run was stopped before it wrote its verdict (SIGKILLed, the machine
  // went down); shown as "interrupted".
  bool interrupted = false;
  std::vector<std::string> warnings;
};

inline constexpr int kLogTailLines = 200;
inline constexpr int kMaxCommitPoints = 1000;  // per node
inline constexpr size_t kMaxValueChars = 120;

// Reads a run directory. Fails only when `run_dir` is not a readable directory.
Result<RunData> ReadRun(const std::filesystem::path& run_dir);

// Parses "2026-11-26T23:35:06.123Z" or "...+01:00" into ns since the Unix epoch; -1 if invalid.
int64_t ParseIso8601Nanos(const std::string& text);

}  // namespace splitbrain::results

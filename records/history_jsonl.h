// The one reader of history.jsonl (docs/FORMAT.md plus "time" and "node", docs/CONTRACTS.md):
// one event a line, invocations paired with completions by process. Strict by default (the
// checkers: an error names the line); forgiving on request (the report: a bad line becomes a
// warning and is left out). The writer is history_writer.h. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "records/history.h"

namespace splitbrain::records {

// Lines a forgiving reader describes before it only counts them.
inline constexpr int kMaxLineWarnings = 3;

struct ReadOptions {
  // Null: strict, the first bad line is the error. Set: forgiving, each bad line is skipped and
  // described here ("SOURCE line N: why; skipped"), at most kMaxLineWarnings of them, then
  // "SOURCE: N bad lines"; an invocation while the process's operation is open leaves that one
  // open for good.
  std::vector<std::string>* warnings = nullptr;
};

// The bad lines of one file, by ReadOptions: strict, the first is the error ("SOURCE:LINE:
// why"); forgiving, each is described ("SOURCE line LINE: why; skipped"), at most
// kMaxLineWarnings of them, and Finish() adds "SOURCE: N bad lines" beyond that. Every reader
// of the store uses it, so all three files are forgiven alike.
class BadLines {
 public:
  BadLines(const ReadOptions& options, std::string source)
      : warnings_(options.warnings), source_(std::move(source)) {}
  // Strict: the error to return. Forgiving: Ok, the line noted.
  Status Note(int64_t line, const std::string& why);
  void Finish();

 private:
  std::vector<std::string>* warnings_;
  std::string source_;
  int64_t count_ = 0;
};

// Reads a JSONL history. Errors name the source and line ("SOURCE:LINE: why").
Result<History> ParseJsonlHistory(std::string_view text, const std::string& source,
                                  const ReadOptions& options = {});

}  // namespace splitbrain::records

// History: a client history in memory, one Operation per invocation paired with its completion
// (docs/FORMAT.md, docs/CONTRACTS.md "History"). Read by history_jsonl.h (splitbrain's
// history.jsonl), history_edn.h (Jepsen's history.edn) or history_file.h (either, by content).
// Strings (operation names, keys, values) are interned once in the History; an Operation holds
// ids. A History is an immutable value once read; reading it concurrently is safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/outcome.h"

namespace splitbrain::records {

struct Operation {
  int64_t process = 0;
  uint32_t f = 0;       // interned operation name ("read", "write", ...)
  uint32_t key = 0;     // interned key text (a JSON string's contents, other JSON canonical);
                        // History::kNoKey when the operation has no key
  uint32_t value = 0;   // interned canonical JSON of the invocation's value ("null" if absent)
  uint32_t output = 0;  // interned canonical JSON of the ok completion's value; "null" otherwise
  uint32_t completion_value = 0;  // the completion's value whatever its type; "null" if open
  Outcome result = Outcome::kUnknown;  // kUnknown includes operations never completed
  bool open = false;                   // never completed: treated as kUnknown
  int64_t invoke_event = 0;     // 0-based position of the invocation among all events
  int64_t complete_event = -1;  // 0-based position of the completion; -1 when open
  int64_t invoke_line = 0;      // 1-based line of the invocation in the source file
  int64_t complete_line = 0;    // 1-based line of the completion; 0 when open
  int64_t invoke_time = -1;     // ns since the run began ("time"); -1 when absent
  int64_t complete_time = -1;   // ns; -1 when absent or open
  uint32_t node = 0;            // interned "node" of the completion; History::kNoKey if absent
};

class History {
 public:
  static constexpr uint32_t kNoKey = 0;  // id 0 is reserved: "no key" / "absent"

  History();

  std::vector<Operation> ops;  // in invocation order
  int64_t events = 0;          // event lines read (invocations plus completions)
  std::string source;          // the file name, for messages

  // Interning: Intern returns a stable id for the text; Str returns it back.
  uint32_t Intern(std::string_view text);
  const std::string& Str(uint32_t id) const { return strings_[id]; }
  size_t StringCount() const { return strings_.size(); }
  // Looks a text up without interning; kNoKey when absent.
  uint32_t Find(std::string_view text) const;
  // Parses an interned canonical JSON value (value or output) into a json object.
  nlohmann::json Json(uint32_t id) const;
  // One operation as JSON for explanations and reports:
  // {"index","process","f","key"?,"value","output"?,"type","invoke_line","complete_line",
  //  "invoke_time"?,"complete_time"?}
  nlohmann::json OpJson(size_t index) const;
  // Appends an operation built from already-canonical texts (tests, generators).
  // Events are assigned by the caller; see HistoryBuilder for the usual way.

 private:
  struct SvHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t, SvHash, std::equal_to<>> ids_;
};

// Builds a History event by event, pairing completions with invocations by process, exactly as
// the file readers do. Values are canonical JSON texts (use nlohmann::json::dump()).
class HistoryBuilder {
 public:
  explicit HistoryBuilder(std::string source = "<memory>");
  // key: empty optional → no key. Returns an error if the event breaks the pairing rules.
  Status Invoke(int64_t process, std::string_view f, const std::string* key,
                std::string_view value_json, int64_t time = -1, int64_t line = 0);
  Status Complete(int64_t process, Outcome result, std::string_view f, std::string_view value_json,
                  int64_t time = -1, int64_t line = 0, std::string_view node = {});
  // Whether `process` has an operation open; Abandon leaves it open for good (a forgiving reader
  // that meets a second invocation).
  bool IsOpen(int64_t process);
  void Abandon(int64_t process);
  // Marks open operations and returns the history.
  History Finish();
  History& history() { return h_; }

 private:
  // The open operation of a process: index into h_.ops, or -1. Small non-negative process ids
  // (the usual case) use a vector, others a map.
  int64_t& OpenSlot(int64_t process);

  History h_;
  std::vector<int64_t> open_dense_;
  std::unordered_map<int64_t, int64_t> open_sparse_;
  uint32_t null_id_ = 0;
  int64_t line_ = 0;
};

}  // namespace splitbrain::records

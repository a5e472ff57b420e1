// SimHistory: a simulated run's history, kept in memory. It makes the same history.jsonl bytes
// records::HistoryWriter would write (docs/FORMAT.md: one object a line, keys in order) and, as
// each line is made, the records::History that records::ReadHistoryFile would read back from
// them — so the checkers need no file written and parsed again (in a sweep of quick.yaml, the
// JSON objects built, dumped, written and re-parsed per event were about a quarter of a seed's
// time).
// Owned by one simulated run; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/history.h"
#include "records/history_writer.h"
#include "records/outcome.h"

namespace splitbrain::harness::sim {

class SimHistory {
 public:
  // `source`: the history.jsonl path the file reader would name in its messages; `now`: the
  // run's time in ns, read once per event, as HistoryWriter reads its clock.
  SimHistory(std::string source, std::function<int64_t()> now);
  // As HistoryWriter::Invoke / Complete: returns the event's time.
  int64_t Invoke(int64_t process, const std::string& f, const std::optional<std::string>& key,
                 const nlohmann::json& value);
  int64_t Complete(int64_t process, const std::string& f, const std::optional<std::string>& key,
                   records::Outcome outcome, const nlohmann::json& value, const std::string& node);
  // history.jsonl's text so far.
  const std::string& text() const { return text_; }
  records::HistoryCounts counts() const { return counts_; }
  // The history as the checkers read it (the first event that broke the pairing rules, as the
  // file reader would report it). Call once, at the end.
  Result<records::History> Finish();

 private:
  void Line(int64_t process, const std::string& f, const std::optional<std::string>& key,
            const std::string& node, int64_t time, const char* type, const std::string& value);

  std::function<int64_t()> now_;
  std::string text_;
  records::HistoryBuilder builder_;
  Status error_;
  int64_t lines_ = 0;
  records::HistoryCounts counts_;
  std::string value_;  // scratch: an event's value as canonical JSON
};

}  // namespace splitbrain::harness::sim

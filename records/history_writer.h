// HistoryWriter: the one writer of history.jsonl (docs/FORMAT.md plus "time" and "node",
// docs/CONTRACTS.md); history_jsonl.h is its reader. The timestamp is taken under the same lock
// as the write, so line order and time order agree (porcupine #40); the line is serialised before
// the lock, so the lock covers only the clock and the buffered write. Thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "records/outcome.h"

namespace splitbrain::records {

struct HistoryCounts {
  int64_t invokes = 0, ok = 0, fail = 0, info = 0;
};

class HistoryWriter {
 public:
  // `origin_ns`: the monotonic time the run began; "time" is measured from it.
  HistoryWriter(const std::string& path, int64_t origin_ns);
  // `now` gives the run's time instead of the monotonic clock (the simulator's: harness/sim/).
  HistoryWriter(const std::string& path, std::function<int64_t()> now);
  bool ok() const { return out_.good(); }
  // Returns the event's time (ns since the run began). `key`: absent when the operation has none.
  int64_t Invoke(int64_t process, const std::string& f, const std::optional<std::string>& key,
                 const nlohmann::json& value);
  int64_t Complete(int64_t process, const std::string& f, const std::optional<std::string>& key,
                   Outcome outcome, const nlohmann::json& value, const std::string& node);
  void Flush();
  HistoryCounts counts() const;
  int64_t Now() const;  // ns since the run began

 private:
  // Writes `line` (no "time" yet) with the time taken under the lock, and counts it in
  // `counts_.*count` under the same lock; returns that time.
  int64_t Write(const nlohmann::json& line, int64_t HistoryCounts::*count);
  std::ofstream out_;
  int64_t origin_ns_;
  std::function<int64_t()> now_;  // empty: the monotonic clock since origin_ns_
  mutable std::mutex mu_;
  HistoryCounts counts_;  // GUARDED_BY(mu_)
};

}  // namespace splitbrain::records

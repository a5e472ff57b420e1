// HistoryWriter: appends client events to history.jsonl (docs/FORMAT.md plus "time" and
// "node", docs/CONTRACTS.md). The timestamp is taken under the same lock as the write, so line
// order and time order agree (porcupine #40). Thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "workloads/generator.h"

namespace splitbrain::harness {

struct HistoryCounts {
  int64_t invokes = 0, ok = 0, fail = 0, info = 0;
};

class HistoryWriter {
 public:
  // `origin_ns`: the monotonic time the run began; "time" is measured from it.
  HistoryWriter(const std::string& path, int64_t origin_ns);
  bool ok() const { return out_.good(); }
  // Returns the event's time (ns since the run began).
  int64_t Invoke(int64_t process, const workloads::Op& op);
  int64_t Complete(int64_t process, const workloads::Op& op, const std::string& type,
                   const nlohmann::json& value, const std::string& node);
  void Flush();
  HistoryCounts counts() const;
  int64_t Now() const;  // ns since the run began

 private:
  void Write(nlohmann::json& line);
  std::ofstream out_;
  int64_t origin_ns_;
  mutable std::mutex mu_;
  HistoryCounts counts_;  // GUARDED_BY(mu_)
};

}  // namespace splitbrain::harness

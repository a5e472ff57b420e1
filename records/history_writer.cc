#include "records/history_writer.h"

#include "common/clock.h"

namespace splitbrain::records {

HistoryWriter::HistoryWriter(const std::string& path, int64_t origin_ns)
    : out_(path, std::ios::trunc), origin_ns_(origin_ns) {}

HistoryWriter::HistoryWriter(const std::string& path, std::function<int64_t()> now)
    : out_(path, std::ios::trunc), origin_ns_(0), now_(std::move(now)) {}

int64_t HistoryWriter::Now() const {
  return now_ ? now_() : SystemClock::Get().MonotonicNanos() - origin_ns_;
}

void HistoryWriter::Write(nlohmann::json& line) {
  // Caller holds mu_.
  const int64_t t = Now();
  line["time"] = t;
  out_ << line.dump() << '\n';
}

int64_t HistoryWriter::Invoke(int64_t process, const std::string& f,
                              const std::optional<std::string>& key, const nlohmann::json& value) {
  nlohmann::json j = {{"process", process}, {"type", "invoke"}, {"f", f}};
  if (key) j["key"] = *key;
  j["value"] = value;
  std::lock_guard<std::mutex> lock(mu_);
  Write(j);
  ++counts_.invokes;
  return j["time"].get<int64_t>();
}

int64_t HistoryWriter::Complete(int64_t process, const std::string& f,
                                const std::optional<std::string>& key, Outcome outcome,
                                const nlohmann::json& value, const std::string& node) {
  nlohmann::json j = {{"process", process}, {"type", HistoryType(outcome)}, {"f", f}};
  if (key) j["key"] = *key;
  j["value"] = value;
  if (!node.empty()) j["node"] = node;
  std::lock_guard<std::mutex> lock(mu_);
  Write(j);
  switch (outcome) {
    case Outcome::kOk:
      ++counts_.ok;
      break;
    case Outcome::kFail:
      ++counts_.fail;
      break;
    case Outcome::kUnknown:
      ++counts_.info;
      break;
  }
  return j["time"].get<int64_t>();
}

void HistoryWriter::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  out_.flush();
}

HistoryCounts HistoryWriter::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace splitbrain::records

#include "harness/history_writer.h"

#include "common/clock.h"

namespace splitbrain::harness {

HistoryWriter::HistoryWriter(const std::string& path, int64_t origin_ns)
    : out_(path, std::ios::trunc), origin_ns_(origin_ns) {}

int64_t HistoryWriter::Now() const { return SystemClock::Get().MonotonicNanos() - origin_ns_; }

void HistoryWriter::Write(nlohmann::json& line) {
  // Caller holds mu_.
  const int64_t t = Now();
  line["time"] = t;
  out_ << line.dump() << '\n';
}

int64_t HistoryWriter::Invoke(int64_t process, const workloads::Op& op) {
  nlohmann::json j = {{"process", process}, {"type", "invoke"}, {"f", op.f}};
  if (op.key) j["key"] = *op.key;
  j["value"] = op.value;
  std::lock_guard<std::mutex> lock(mu_);
  Write(j);
  ++counts_.invokes;
  return j["time"].get<int64_t>();
}

int64_t HistoryWriter::Complete(int64_t process, const workloads::Op& op, const std::string& type,
                                const nlohmann::json& value, const std::string& node) {
  nlohmann::json j = {{"process", process}, {"type", type}, {"f", op.f}};
  if (op.key) j["key"] = *op.key;
  j["value"] = value;
  if (!node.empty()) j["node"] = node;
  std::lock_guard<std::mutex> lock(mu_);
  Write(j);
  if (type == "ok")
    ++counts_.ok;
  else if (type == "fail")
    ++counts_.fail;
  else
    ++counts_.info;
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

}  // namespace splitbrain::harness

#include "records/history.h"

#include <algorithm>

namespace splitbrain::records {

History::History() {
  strings_.emplace_back();  // id 0: kNoKey
}

uint32_t History::Intern(std::string_view text) {
  auto it = ids_.find(text);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(text);
  ids_.emplace(strings_.back(), id);
  return id;
}

uint32_t History::Find(std::string_view text) const {
  auto it = ids_.find(text);
  return it == ids_.end() ? kNoKey : it->second;
}

nlohmann::json History::Json(uint32_t id) const {
  if (id == kNoKey) return nullptr;
  return nlohmann::json::parse(strings_[id], nullptr, /*allow_exceptions=*/false);
}

nlohmann::json History::OpJson(size_t index) const {
  const Operation& op = ops[index];
  nlohmann::json j;
  j["index"] = index;
  j["process"] = op.process;
  j["f"] = Str(op.f);
  if (op.key != kNoKey) j["key"] = Str(op.key);
  j["value"] = Json(op.value);
  if (op.result == Outcome::kOk) j["output"] = Json(op.output);
  j["type"] = op.open ? "open" : HistoryType(op.result);
  j["invoke_line"] = op.invoke_line;
  j["complete_line"] = op.complete_line;
  if (op.invoke_time >= 0) j["invoke_time"] = op.invoke_time;
  if (op.complete_time >= 0) j["complete_time"] = op.complete_time;
  return j;
}

// ---- HistoryBuilder -------------------------------------------------------------------------

HistoryBuilder::HistoryBuilder(std::string source) {
  h_.source = std::move(source);
  null_id_ = h_.Intern("null");
}

static std::string Where(const std::string& source, int64_t line) {
  return source + ":" + std::to_string(line) + ": ";
}

int64_t& HistoryBuilder::OpenSlot(int64_t process) {
  constexpr int64_t kDense = int64_t{1} << 20;
  if (process >= 0 && process < kDense) {
    if (static_cast<size_t>(process) >= open_dense_.size()) {
      open_dense_.resize(std::max<size_t>(static_cast<size_t>(process) + 1, open_dense_.size() * 2),
                         -1);
    }
    return open_dense_[static_cast<size_t>(process)];
  }
  return open_sparse_.try_emplace(process, -1).first->second;
}

Status HistoryBuilder::Invoke(int64_t process, std::string_view f, const std::string* key,
                              std::string_view value_json, int64_t time, int64_t line) {
  if (line == 0) line = line_ + 1;
  line_ = line;
  int64_t& slot = OpenSlot(process);
  if (slot >= 0) {
    return Status::InvalidArgument(Where(h_.source, line) + "process " + std::to_string(process) +
                                   " invokes while its operation from line " +
                                   std::to_string(h_.ops[slot].invoke_line) + " is open");
  }
  Operation op;
  op.process = process;
  op.f = h_.Intern(f);
  op.key = key ? h_.Intern(*key) : History::kNoKey;
  op.value = value_json.empty() ? null_id_ : h_.Intern(value_json);
  op.output = null_id_;
  op.completion_value = null_id_;
  op.invoke_event = h_.events++;
  op.invoke_line = line;
  op.invoke_time = time;
  op.node = History::kNoKey;
  slot = static_cast<int64_t>(h_.ops.size());
  h_.ops.push_back(op);
  return Status::Ok();
}

Status HistoryBuilder::Complete(int64_t process, Outcome result, std::string_view f,
                                std::string_view value_json, int64_t time, int64_t line,
                                std::string_view node) {
  if (line == 0) line = line_ + 1;
  line_ = line;
  int64_t& slot = OpenSlot(process);
  if (slot < 0) {
    return Status::InvalidArgument(Where(h_.source, line) + "process " + std::to_string(process) +
                                   " completes an operation it never invoked");
  }
  Operation& op = h_.ops[slot];
  if (h_.Str(op.f) != f) {
    return Status::InvalidArgument(Where(h_.source, line) + "completion f \"" + std::string(f) +
                                   "\" does not match the invocation's \"" + h_.Str(op.f) +
                                   "\" (line " + std::to_string(op.invoke_line) + ")");
  }
  slot = -1;
  op.result = result;
  op.complete_event = h_.events++;
  op.complete_line = line;
  op.complete_time = time;
  op.completion_value = value_json.empty() ? null_id_ : h_.Intern(value_json);
  if (result == Outcome::kOk) op.output = op.completion_value;
  if (!node.empty()) op.node = h_.Intern(node);
  return Status::Ok();
}

bool HistoryBuilder::IsOpen(int64_t process) { return OpenSlot(process) >= 0; }

void HistoryBuilder::Abandon(int64_t process) {
  int64_t& slot = OpenSlot(process);
  if (slot < 0) return;
  h_.ops[slot].open = true;
  h_.ops[slot].result = Outcome::kUnknown;
  slot = -1;
}

History HistoryBuilder::Finish() {
  auto mark = [&](int64_t index) {
    if (index < 0) return;
    h_.ops[index].open = true;
    h_.ops[index].result = Outcome::kUnknown;
  };
  for (int64_t index : open_dense_) mark(index);
  for (auto& [process, index] : open_sparse_) {
    (void)process;
    mark(index);
  }
  open_dense_.clear();
  open_sparse_.clear();
  return std::move(h_);
}

}  // namespace splitbrain::records

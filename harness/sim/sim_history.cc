#include "harness/sim/sim_history.h"

#include <utility>

#include "records/json_text.h"

namespace splitbrain::harness::sim {
using nlohmann::json;

namespace {

// A JSON string as nlohmann's dump() writes it: printable ASCII without quote or backslash is
// copied as it is (the usual name, key and node); anything else goes through the library.
void AppendString(std::string& out, const std::string& s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out += json(s).dump();
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

// value.dump(), without the library's serializer for the usual values (null, integers): making
// one reads the locale, which was most of an event's cost. The same text either way.
std::string Dump(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  return value.dump();
}

// The value as the file reader would intern it (records::ReadCanonicalJson), from its dump:
// null and integers are canonical as dumped; anything else is made canonical as the reader does.
void CanonicalValue(const json& value, const std::string& dumped, std::string* out) {
  *out = dumped;
  if (value.is_null() || value.is_number_integer()) return;
  auto canonical = records::CanonicalJson(dumped);
  if (canonical.ok()) *out = std::move(*canonical);
}

}  // namespace

SimHistory::SimHistory(std::string source, std::function<int64_t()> now)
    : now_(std::move(now)), builder_(std::move(source)) {}

void SimHistory::Line(int64_t process, const std::string& f, const std::optional<std::string>& key,
                      const std::string& node, int64_t time, const char* type,
                      const std::string& value) {
  // HistoryWriter's line: a nlohmann object dumped, so its keys in sorted order.
  text_ += "{\"f\":";
  AppendString(text_, f);
  if (key) {
    text_ += ",\"key\":";
    AppendString(text_, *key);
  }
  if (!node.empty()) {
    text_ += ",\"node\":";
    AppendString(text_, node);
  }
  text_ += ",\"process\":";
  text_ += std::to_string(process);
  text_ += ",\"time\":";
  text_ += std::to_string(time);
  text_ += ",\"type\":\"";
  text_ += type;
  text_ += "\",\"value\":";
  text_ += value;
  text_ += "}\n";
  ++lines_;
}

int64_t SimHistory::Invoke(int64_t process, const std::string& f,
                           const std::optional<std::string>& key, const json& value) {
  const int64_t t = now_();
  const std::string dumped = Dump(value);
  Line(process, f, key, "", t, "invoke", dumped);
  CanonicalValue(value, dumped, &value_);
  if (error_.ok()) error_ = builder_.Invoke(process, f, key ? &*key : nullptr, value_, t, lines_);
  ++counts_.invokes;
  return t;
}

int64_t SimHistory::Complete(int64_t process, const std::string& f,
                             const std::optional<std::string>& key, records::Outcome outcome,
                             const json& value, const std::string& node) {
  const int64_t t = now_();
  const std::string dumped = Dump(value);
  Line(process, f, key, node, t, records::HistoryType(outcome), dumped);
  CanonicalValue(value, dumped, &value_);
  if (error_.ok()) error_ = builder_.Complete(process, outcome, f, value_, t, lines_, node);
  switch (outcome) {
    case records::Outcome::kOk:
      ++counts_.ok;
      break;
    case records::Outcome::kFail:
      ++counts_.fail;
      break;
    case records::Outcome::kUnknown:
      ++counts_.info;
      break;
  }
  return t;
}

Result<records::History> SimHistory::Finish() {
  if (!error_.ok()) return error_;
  return builder_.Finish();
}

}  // namespace splitbrain::harness::sim

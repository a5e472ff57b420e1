#include "records/fault_log.h"

#include <fstream>
#include <sstream>

namespace splitbrain::records {

nlohmann::json FaultEventJson(const FaultEvent& e) {
  nlohmann::json links = nlohmann::json::array();
  for (const auto& [from, to] : e.links) links.push_back({from, to});
  return {{"time", e.time},       {"phase", e.phase}, {"id", e.id},        {"fault", e.fault},
          {"targets", e.targets}, {"links", links},   {"detail", e.detail.is_null() ? nlohmann::json::object() : e.detail}};
}

Result<std::vector<FaultEvent>> ParseFaultLog(std::string_view text, const std::string& source,
                                              const ReadOptions& options) {
  std::vector<FaultEvent> out;
  int64_t lineno = 0;
  BadLines bad(options, source);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("time") || !j["time"].is_number_integer() ||
        !j.contains("phase") || !j["phase"].is_string()) {
      const std::string why = "expected {\"time\": NS, \"phase\": ..., ...}";
      SB_RETURN_IF_ERROR(bad.Note(lineno, why));
      continue;
    }
    FaultEvent e;
    e.line = lineno;
    e.time = j["time"].get<int64_t>();
    e.phase = j["phase"].get<std::string>();
    if (auto it = j.find("id"); it != j.end() && it->is_number_integer()) e.id = it->get<int64_t>();
    if (auto it = j.find("fault"); it != j.end() && it->is_string()) e.fault = it->get<std::string>();
    if (auto it = j.find("targets"); it != j.end() && it->is_array()) {
      for (const auto& t : *it) e.targets.push_back(t.is_string() ? t.get<std::string>() : t.dump());
    }
    if (auto it = j.find("links"); it != j.end() && it->is_array()) {
      for (const auto& l : *it) {
        if (l.is_array() && l.size() == 2 && l[0].is_string() && l[1].is_string()) {
          e.links.emplace_back(l[0].get<std::string>(), l[1].get<std::string>());
        }
      }
    }
    if (auto it = j.find("detail"); it != j.end()) e.detail = *it;
    out.push_back(std::move(e));
  }
  bad.Finish();
  return out;
}

Result<std::vector<FaultEvent>> ReadFaultLog(const std::string& path, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseFaultLog(text.str(), path, options);
}

}  // namespace splitbrain::records

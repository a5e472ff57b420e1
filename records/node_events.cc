#include "records/node_events.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace splitbrain::records {
namespace {

int64_t IntOr(const nlohmann::json& j, const char* field, int64_t fallback) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number()) return fallback;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

std::string StringOr(const nlohmann::json& j, const char* field, const std::string& fallback) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

Status ReadNodeEvents(const std::string& path, const std::string& node, const ReadOptions& options,
                      const std::function<void(const NodeEvent&)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::string text;
  int64_t lineno = 0, bad = 0;
  while (std::getline(in, text)) {
    ++lineno;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("event") || !j["event"].is_string()) {
      // A torn last line (the node was killed mid-write) is expected evidence, not an error.
      if (in.peek() == EOF) break;
      const std::string why = "not an event object";
      if (!options.warnings) {
        return Status::InvalidArgument(path + ":" + std::to_string(lineno) + ": " + why);
      }
      if (++bad <= kMaxLineWarnings) {
        options.warnings->push_back(path + " line " + std::to_string(lineno) + ": " + why +
                                    "; skipped");
      }
      continue;
    }
    NodeEvent e;
    e.line = lineno;
    e.event = j["event"].get<std::string>();
    if (auto it = j.find("t"); it != j.end() && it->is_number_integer()) e.t = it->get<int64_t>();
    e.node = StringOr(j, "node", node);
    e.term = IntOr(j, "term", -1);
    e.role = StringOr(j, "role", "");
    e.leader = StringOr(j, "leader", "");
    e.index = IntOr(j, "index", -1);
    e.commit = IntOr(j, "commit", -1);
    e.hash = StringOr(j, "hash", "");
    fn(e);
  }
  if (options.warnings && bad > kMaxLineWarnings) {
    options.warnings->push_back(path + ": " + std::to_string(bad) + " bad lines");
  }
  return Status::Ok();
}

std::vector<std::string> NodeEventLogs(const std::string& run_dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  std::filesystem::path nodes = std::filesystem::path(run_dir) / "nodes";
  if (std::filesystem::is_directory(nodes, ec)) {
    for (const auto& d : std::filesystem::directory_iterator(nodes, ec)) {
      auto p = d.path() / "events.jsonl";
      if (std::filesystem::exists(p, ec)) paths.push_back(p.string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace splitbrain::records

#include "records/node_events.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "records/json_text.h"

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
  int64_t lineno = 0;
  BadLines bad(options, path);
  while (std::getline(in, text)) {
    ++lineno;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("event") || !j["event"].is_string()) {
      // A torn last line (the node was killed mid-write) is expected evidence, not an error.
      if (in.peek() == EOF) break;
      const std::string why = "not an event object";
      SB_RETURN_IF_ERROR(bad.Note(lineno, why));
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
    e.state_hash = StringOr(j, "state_hash", "");
    e.source = StringOr(j, "source", "");
    e.applied = IntOr(j, "applied", -1);
    e.seed = StringOr(j, "seed", "");
    if (auto it = j.find("members"); it != j.end() && it->is_array()) {
      for (const auto& m : *it) {
        if (m.is_string()) e.members.push_back(m.get<std::string>());
      }
    }
    e.name = StringOr(j, "name", "");
    e.action = StringOr(j, "action", "");
    fn(e);
  }
  bad.Finish();
  return Status::Ok();
}

nlohmann::json NodeEventJson(const NodeEvent& e) {
  nlohmann::json j = nlohmann::json::object();
  if (e.t >= 0) j["t"] = e.t;
  j["node"] = e.node;
  j["event"] = e.event;
  if (e.term >= 0) j["term"] = e.term;
  if (!e.role.empty()) j["role"] = e.role;
  if (e.event == "role") {
    j["leader"] = e.leader.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.leader);
  } else if (!e.leader.empty()) {
    j["leader"] = e.leader;
  }
  if (e.index >= 0) j["index"] = e.index;
  if (e.commit >= 0) j["commit"] = e.commit;
  if (e.applied >= 0) j["applied"] = e.applied;
  if (!e.hash.empty()) j["hash"] = e.hash;
  if (!e.seed.empty()) j["seed"] = e.seed;
  if (!e.source.empty()) j["source"] = e.source;
  if (!e.state_hash.empty()) j["state_hash"] = e.state_hash;
  if (e.event == "membership" || !e.members.empty()) j["members"] = e.members;
  if (!e.name.empty()) j["name"] = e.name;
  if (!e.action.empty()) j["action"] = e.action;
  return j;
}

namespace {

// Writes `"key":` (after a comma unless it is the first field).
void AppendKey(const char* key, bool* first, std::string* out) {
  if (!*first) out->push_back(',');
  *first = false;
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendInt(const char* key, int64_t v, bool* first, std::string* out) {
  AppendKey(key, first, out);
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  out->append(digits, r.ptr);
}

void AppendStr(const char* key, const std::string& v, bool* first, std::string* out) {
  AppendKey(key, first, out);
  AppendQuoted(out, v);
}

}  // namespace

void AppendNodeEventJson(const NodeEvent& e, std::string* out) {
  // The keys in NodeEventJson's order once sorted (a JSON object dumps by key): action, applied,
  // commit, event, hash, index, leader, members, name, node, role, seed, source, state_hash, t,
  // term — each under the condition NodeEventJson sets it.
  bool first = true;
  out->push_back('{');
  if (!e.action.empty()) AppendStr("action", e.action, &first, out);
  if (e.applied >= 0) AppendInt("applied", e.applied, &first, out);
  if (e.commit >= 0) AppendInt("commit", e.commit, &first, out);
  AppendStr("event", e.event, &first, out);
  if (!e.hash.empty()) AppendStr("hash", e.hash, &first, out);
  if (e.index >= 0) AppendInt("index", e.index, &first, out);
  if (e.event == "role") {
    AppendKey("leader", &first, out);
    if (e.leader.empty()) {
      out->append("null");
    } else {
      AppendQuoted(out, e.leader);
    }
  } else if (!e.leader.empty()) {
    AppendStr("leader", e.leader, &first, out);
  }
  if (e.event == "membership" || !e.members.empty()) {
    AppendKey("members", &first, out);
    out->push_back('[');
    for (size_t i = 0; i < e.members.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendQuoted(out, e.members[i]);
    }
    out->push_back(']');
  }
  if (!e.name.empty()) AppendStr("name", e.name, &first, out);
  AppendStr("node", e.node, &first, out);
  if (!e.role.empty()) AppendStr("role", e.role, &first, out);
  if (!e.seed.empty()) AppendStr("seed", e.seed, &first, out);
  if (!e.source.empty()) AppendStr("source", e.source, &first, out);
  if (!e.state_hash.empty()) AppendStr("state_hash", e.state_hash, &first, out);
  if (e.t >= 0) AppendInt("t", e.t, &first, out);
  if (e.term >= 0) AppendInt("term", e.term, &first, out);
  out->push_back('}');
}

Result<std::unique_ptr<NodeEventWriter>> NodeEventWriter::Open(const std::string& path,
                                                               bool truncate) {
  std::FILE* f = std::fopen(path.c_str(), truncate ? "w" : "a");
  if (!f) return Status::IoError("cannot open event log " + path);
  std::setvbuf(f, nullptr, _IOFBF, 1 << 16);
  return std::unique_ptr<NodeEventWriter>(new NodeEventWriter(f));
}

NodeEventWriter::~NodeEventWriter() { std::fclose(file_); }

void NodeEventWriter::Write(const NodeEvent& event) {
  line_.clear();
  AppendNodeEventJson(event, &line_);
  line_.push_back('\n');
  std::fwrite(line_.data(), 1, line_.size(), file_);
}

void NodeEventWriter::Flush() { std::fflush(file_); }

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

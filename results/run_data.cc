#include "results/run_data.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxWarnings = 50;

void Warn(RunData* run, std::string message) {
  if (run->warnings.size() < kMaxWarnings) {
    run->warnings.push_back(std::move(message));
  } else if (run->warnings.size() == kMaxWarnings) {
    run->warnings.push_back("more warnings left out");
  }
}

std::string Shorten(std::string text) {
  if (text.size() <= kMaxValueChars) return text;
  size_t cut = kMaxValueChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  text.resize(cut);
  return text + "...";
}

std::string Compact(const json& value) {
  return Shorten(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

bool ReadWholeFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

int64_t IntOr(const json& object, const char* field, int64_t fallback) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_number()) return fallback;
  return it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
}

std::string StringOr(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Calls `fn(line_number, parsed)` for every non-blank line; bad lines become warnings.
template <typename Fn>
bool ForEachJsonLine(const fs::path& path, RunData* run, Fn fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string line;
  int64_t number = 0;
  int bad = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      if (++bad <= 3) {
        Warn(run, path.filename().string() + " line " + std::to_string(number) +
                      ": not a JSON object; skipped");
      }
      continue;
    }
    try {
      fn(number, parsed);
    } catch (const json::exception& e) {
      Warn(run, path.filename().string() + " line " + std::to_string(number) + ": " + e.what());
    }
  }
  if (bad > 3) Warn(run, path.filename().string() + ": " + std::to_string(bad) + " bad lines");
  return true;
}

void ReadHistory(const fs::path& path, RunData* run) {
  std::map<int64_t, size_t> open;  // process -> index in run->ops of its open operation
  int64_t last_time = 0;
  bool saw_time = false, missed_time = false;
  bool found = ForEachJsonLine(path, run, [&](int64_t number, const json& line) {
    auto process_it = line.find("process");
    if (process_it == line.end() || !process_it->is_number_integer()) return;  // e.g. nemesis
    int64_t process = process_it->get<int64_t>();
    std::string type = StringOr(line, "type");
    int64_t time = IntOr(line, "time", -1);
    if (time < 0) {
      missed_time = true;
      time = (number - 1) * 1'000'000;  // 1 ms a line: order is all a history promises
    } else {
      saw_time = true;
    }
    last_time = std::max(last_time, time);
    auto value = line.find("value");
    if (type == "invoke") {
      if (open.count(process)) {
        Warn(run, "history.jsonl line " + std::to_string(number) + ": process " +
                      std::to_string(process) + " invoked while an operation was open");
      }
      Operation op;
      op.process = process;
      op.f = StringOr(line, "f");
      op.key = line.contains("key") ? (line["key"].is_string() ? line["key"].get<std::string>()
                                                               : Compact(line["key"]))
                                    : "";
      op.invoke_ns = time;
      op.value = value == line.end() ? "" : Compact(*value);
      op.invoke_line = number - 1;
      open[process] = run->ops.size();
      run->ops.push_back(std::move(op));
      return;
    }
    OpType kind;
    if (type == "ok") {
      kind = OpType::kOk;
    } else if (type == "fail") {
      kind = OpType::kFail;
    } else if (type == "info") {
      kind = OpType::kInfo;
    } else {
      Warn(run, "history.jsonl line " + std::to_string(number) + ": unknown type '" + type + "'");
      return;
    }
    auto it = open.find(process);
    if (it == open.end()) {
      Warn(run, "history.jsonl line " + std::to_string(number) + ": completion of process " +
                    std::to_string(process) + " with no open operation");
      return;
    }
    Operation& op = run->ops[it->second];
    op.type = kind;
    op.complete_ns = time;
    op.result = value == line.end() ? "" : Compact(*value);
    op.node = StringOr(line, "node");
    open.erase(it);
  });
  if (!found) {
    Warn(run, "history.jsonl: missing");
    return;
  }
  if (missed_time) {
    run->history_has_times = saw_time;
    Warn(run, saw_time ? "history.jsonl: some lines have no time; their times are line numbers"
                       : "history.jsonl: no times; the time axis shows line order (1 ms a line)");
  }
  run->end_ns = std::max(run->end_ns, last_time);
}

void ReadNemesis(const fs::path& path, RunData* run) {
  std::map<int64_t, size_t> open;  // fault id -> index in run->faults
  ForEachJsonLine(path, run, [&](int64_t number, const json& line) {
    std::string phase = StringOr(line, "phase");
    int64_t id = IntOr(line, "id", -1);
    int64_t time = std::max<int64_t>(0, IntOr(line, "time", 0));
    run->end_ns = std::max(run->end_ns, time);
    if (phase == "end") {
      auto it = open.find(id);
      if (it == open.end()) {
        Warn(run, "nemesis.jsonl line " + std::to_string(number) + ": end of fault " +
                      std::to_string(id) + " that never started");
        return;
      }
      run->faults[it->second].end_ns = time;
      open.erase(it);
      return;
    }
    if (phase != "start" && phase != "unsupported") {
      Warn(run, "nemesis.jsonl line " + std::to_string(number) + ": unknown phase '" + phase + "'");
      return;
    }
    Fault fault;
    fault.id = id;
    fault.fault = StringOr(line, "fault");
    fault.start_ns = time;
    fault.unsupported = phase == "unsupported";
    if (fault.unsupported) fault.end_ns = time;
    if (auto t = line.find("targets"); t != line.end() && t->is_array()) {
      for (const auto& target : *t) {
        fault.targets.push_back(target.is_string() ? target.get<std::string>() : target.dump());
      }
    }
    if (auto l = line.find("links"); l != line.end() && l->is_array()) {
      for (const auto& link : *l) {
        if (link.is_array() && link.size() == 2 && link[0].is_string() && link[1].is_string()) {
          fault.links.emplace_back(link[0].get<std::string>(), link[1].get<std::string>());
        }
      }
    }
    if (auto d = line.find("detail"); d != line.end()) fault.detail = Compact(*d);
    if (!fault.unsupported) open[id] = run->faults.size();
    run->faults.push_back(std::move(fault));
  });
}

LogTail TailOf(const fs::path& path, const std::string& name) {
  LogTail tail;
  tail.file = name;
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> ring(kLogTailLines);
  int64_t count = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > 2000) line = Shorten(line.substr(0, 2000));
    ring[count % kLogTailLines] = std::move(line);
    ++count;
  }
  int64_t kept = std::min<int64_t>(count, kLogTailLines);
  tail.skipped_lines = count - kept;
  for (int64_t i = count - kept; i < count; ++i) {
    tail.text += ring[i % kLogTailLines];
    tail.text += '\n';
  }
  return tail;
}

bool LooksLikeLog(const fs::path& path) {
  std::string name = path.filename().string();
  std::string ext = path.extension().string();
  if (name == "events.jsonl") return false;
  return ext == ".log" || ext == ".txt" || ext == ".out" || ext == ".err" || ext == ".json" ||
         name == "stdout" || name == "stderr" || name.find("log") != std::string::npos;
}

// Reads a node's events with their wall-clock times in t_ns; PlaceEvents converts them later,
// once the origin is known for every node.
void ReadNode(const fs::path& dir, RunData* run) {
  NodeData node;
  node.id = dir.filename().string();
  ForEachJsonLine(dir / "events.jsonl", run, [&](int64_t, const json& line) {
    ++node.event_lines;
    NodeEvent event;
    event.event = StringOr(line, "event");
    if (event.event == "apply") return;  // per-entry hashes are the checker's business
    event.t_ns = IntOr(line, "t", 0);
    event.term = IntOr(line, "term", -1);
    event.role = StringOr(line, "role");
    event.leader = StringOr(line, "leader");
    event.index = event.event == "start" ? IntOr(line, "commit", -1) : IntOr(line, "index", -1);
    node.events.push_back(std::move(event));
  });
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && LooksLikeLog(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) node.logs.push_back(TailOf(file, file.filename().string()));
  run->nodes.push_back(std::move(node));
}

// Moves node events onto the run's clock and thins commit events (one per entry) to the last
// of each of kMaxCommitPoints time slices.
void PlaceEvents(RunData* run) {
  int64_t origin = run->start_wall_ns;
  if (origin < 0) {
    for (const auto& node : run->nodes) {
      for (const auto& event : node.events) {
        origin = origin < 0 ? event.t_ns : std::min(origin, event.t_ns);
      }
    }
  }
  int64_t span = std::max<int64_t>(1, run->end_ns / kMaxCommitPoints);
  for (auto& node : run->nodes) {
    std::vector<NodeEvent> kept;
    int64_t last_slice = -1;
    for (auto& event : node.events) {
      event.t_ns -= origin;
      if (event.event == "commit") {
        int64_t slice = event.t_ns / span;
        if (slice == last_slice && !kept.empty() && kept.back().event == "commit") {
          kept.back() = std::move(event);
          continue;
        }
        last_slice = slice;
      }
      kept.push_back(std::move(event));
    }
    node.events = std::move(kept);
  }
}

}  // namespace

int64_t ParseIso8601Nanos(const std::string& text) {
  int y, mo, d, h, mi, s;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6) {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return -1;
  size_t pos = static_cast<size_t>(consumed);
  int64_t frac = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int64_t scale = 100'000'000;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      frac += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
  }
  int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return -1;
    offset_s = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
  } else if (pos >= text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
    return -1;
  }
  // Days from civil (Howard Hinnant's algorithm).
  int64_t yy = y - (mo <= 2 ? 1 : 0);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  int64_t seconds = days * 86400 + h * 3600 + mi * 60 + s - offset_s;
  return seconds * 1'000'000'000 + frac;
}

Result<RunData> ReadRun(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec)) {
    return Status::NotFound(run_dir.string() + ": not a run directory");
  }
  RunData run;
  run.dir = run_dir;
  std::string text;
  if (ReadWholeFile(run_dir / "results.json", &text)) {
    json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
      run.results = std::move(parsed);
    } else {
      Warn(&run, "results.json: not a JSON object; the verdict is unknown");
    }
  } else {
    run.interrupted = true;
    Warn(&run,
         "results.json: missing; the run was interrupted before it wrote its verdict, which is "
         "unknown");
  }
  if (!ReadWholeFile(run_dir / "plan.yaml", &run.plan_yaml)) Warn(&run, "plan.yaml: missing");
  if (auto it = run.results.find("started"); it != run.results.end() && it->is_string()) {
    run.start_wall_ns = ParseIso8601Nanos(it->get<std::string>());
  }
  ReadHistory(run_dir / "history.jsonl", &run);
  if (fs::exists(run_dir / "nemesis.jsonl", ec)) {
    ReadNemesis(run_dir / "nemesis.jsonl", &run);
  }
  if (auto it = run.results.find("duration_s"); it != run.results.end() && it->is_number()) {
    run.end_ns = std::max(run.end_ns, static_cast<int64_t>(it->get<double>() * 1e9));
  }
  std::vector<fs::path> node_dirs;
  for (const auto& entry : fs::directory_iterator(run_dir / "nodes", ec)) {
    if (entry.is_directory(ec)) node_dirs.push_back(entry.path());
  }
  std::sort(node_dirs.begin(), node_dirs.end());
  if (run.start_wall_ns < 0 && !node_dirs.empty()) {
    Warn(&run,
         "results.json has no parseable 'started': node events are placed from the first one");
  }
  for (const auto& dir : node_dirs) ReadNode(dir, &run);
  PlaceEvents(&run);
  return run;
}

}  // namespace splitbrain::results

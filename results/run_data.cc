#include "results/run_data.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "records/fault_log.h"
#include "records/history_jsonl.h"
#include "records/node_events.h"

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

// Shortened compact text of an interned canonical JSON value; empty for kNoKey.
std::string Shown(const records::History& h, uint32_t id) {
  return id == records::History::kNoKey ? "" : Shorten(h.Str(id));
}

OpType TypeOf(const records::Operation& op) {
  if (op.open) return OpType::kPending;
  switch (op.result) {
    case records::Outcome::kOk:
      return OpType::kOk;
    case records::Outcome::kFail:
      return OpType::kFail;
    case records::Outcome::kUnknown:
      return OpType::kInfo;
  }
  return OpType::kInfo;
}

// history.jsonl through its one reader, forgiving: bad lines become warnings.
void ReadHistory(const fs::path& path, RunData* run) {
  std::string text;
  if (!ReadWholeFile(path, &text)) {
    Warn(run, "history.jsonl: missing");
    return;
  }
  std::vector<std::string> warnings;
  auto read = records::ParseJsonlHistory(text, "history.jsonl", {.warnings = &warnings});
  for (auto& w : warnings) Warn(run, std::move(w));
  if (!read.ok()) {  // not expected in forgiving mode; said rather than hidden
    Warn(run, read.status().message());
    return;
  }
  const records::History& h = *read;
  int64_t last_time = 0;
  bool saw_time = false, missed_time = false;
  // 1 ms a line where a line has no time: order is all a history promises.
  auto time_of = [&](int64_t time, int64_t line) {
    if (time < 0) {
      missed_time = true;
      return (line - 1) * 1'000'000;
    }
    saw_time = true;
    return time;
  };
  run->ops.reserve(h.ops.size());
  for (const records::Operation& rop : h.ops) {
    Operation op;
    op.process = rop.process;
    op.f = h.Str(rop.f);
    op.key = rop.key == records::History::kNoKey ? "" : h.Str(rop.key);
    op.type = TypeOf(rop);
    op.invoke_ns = time_of(rop.invoke_time, rop.invoke_line);
    last_time = std::max(last_time, op.invoke_ns);
    op.value = Shown(h, rop.value);
    op.invoke_line = rop.invoke_line - 1;
    if (rop.complete_event >= 0) {
      op.complete_ns = time_of(rop.complete_time, rop.complete_line);
      last_time = std::max(last_time, op.complete_ns);
      op.result = Shown(h, rop.completion_value);
      op.node = rop.node == records::History::kNoKey ? "" : h.Str(rop.node);
    }
    run->ops.push_back(std::move(op));
  }
  if (missed_time) {
    run->history_has_times = saw_time;
    Warn(run, saw_time ? "history.jsonl: some lines have no time; their times are line numbers"
                       : "history.jsonl: no times; the time axis shows line order (1 ms a line)");
  }
  run->end_ns = std::max(run->end_ns, last_time);
}

// nemesis.jsonl through its one reader, forgiving; start and end lines paired into windows.
void ReadNemesis(const fs::path& path, RunData* run) {
  std::vector<std::string> warnings;
  auto events = records::ReadFaultLog(path.string(), {.warnings = &warnings});
  for (auto& w : warnings) Warn(run, std::move(w));
  if (!events.ok()) {
    Warn(run, events.status().message());
    return;
  }
  std::map<int64_t, size_t> open;  // fault id -> index in run->faults
  for (const records::FaultEvent& e : *events) {
    const int64_t time = std::max<int64_t>(0, e.time);
    run->end_ns = std::max(run->end_ns, time);
    if (e.phase == "end") {
      auto it = open.find(e.id);
      if (it == open.end()) {
        Warn(run, "nemesis.jsonl line " + std::to_string(e.line) + ": end of fault " +
                      std::to_string(e.id) + " that never started");
        continue;
      }
      run->faults[it->second].end_ns = time;
      open.erase(it);
      continue;
    }
    if (e.phase != "start" && e.phase != "unsupported") {
      Warn(run,
           "nemesis.jsonl line " + std::to_string(e.line) + ": unknown phase '" + e.phase + "'");
      continue;
    }
    Fault fault;
    fault.id = e.id;
    fault.fault = e.fault;
    fault.start_ns = time;
    fault.unsupported = e.phase == "unsupported";
    if (fault.unsupported) fault.end_ns = time;
    fault.targets = e.targets;
    fault.links = e.links;
    if (!e.detail.is_null()) fault.detail = Compact(e.detail);
    // Forgiving: a malformed `delayed` is left out, not an error (the detail still shows it).
    if (e.detail.is_object() && e.detail.contains("delayed") && e.detail["delayed"].is_array()) {
      for (const auto& l : e.detail["delayed"]) {
        if (l.is_array() && l.size() == 2 && l[0].is_string() && l[1].is_string())
          fault.delayed.emplace_back(l[0].get<std::string>(), l[1].get<std::string>());
      }
    }
    if (!fault.unsupported) open[e.id] = run->faults.size();
    run->faults.push_back(std::move(fault));
  }
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
  std::vector<std::string> warnings;
  std::error_code exists_ec;
  if (fs::exists(dir / "events.jsonl", exists_ec)) {
    Status read =
        records::ReadNodeEvents((dir / "events.jsonl").string(), node.id, {.warnings = &warnings},
                                [&](const records::NodeEvent& e) {
                                  ++node.event_lines;
                                  if (e.event == "apply")
                                    return;  // per-entry hashes are the checker's business
                                  NodeEvent event;
                                  event.event = e.event;
                                  event.t_ns = std::max<int64_t>(0, e.t);
                                  event.term = e.term;
                                  event.role = e.role;
                                  event.leader = e.leader;
                                  event.index = e.event == "start" ? e.commit : e.index;
                                  event.source = e.source;
                                  node.events.push_back(std::move(event));
                                });
    if (!read.ok()) warnings.push_back(read.message());
  }
  for (auto& w : warnings) Warn(run, std::move(w));
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
  // A simulated run's node events are on the simulated clock (harness/sim), whose time 0 is
  // this fixed instant, not the wall time the run started at.
  if (auto it = run.results.find("simulation");
      it != run.results.end() && it->is_object() && it->contains("events_origin_ns") &&
      (*it)["events_origin_ns"].is_number_integer()) {
    run.start_wall_ns = (*it)["events_origin_ns"].get<int64_t>();
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

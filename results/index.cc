// store/index.html: every run of a store, newest first, filterable by verdict, plan file, system,
// seed, shard and text; above it, the detection matrix of the planted bugs' plans and their
// correct twins when the store holds any (plans/bugs/README.md).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "common/stats.h"
#include "results/html.h"
#include "results/report.h"
#include "results/run_data.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunRow {
  std::string test, started, verdict, expected, seed, duration, ops, plan, href, dir;
  std::string system, plan_file, shard;
  std::string bug;              // the node's `--bug NAME` (node_args); empty: the correct node
  double first_anomaly_s = -1;  // seconds into the run of the first anomaly; < 0: none known
  int64_t sort_key = 0;         // ns since the epoch (or the folder's mtime when unknown)
  bool has_report = false;
};

std::string Trim(const std::string& text) {
  size_t a = text.find_first_not_of(" \t\r");
  size_t b = text.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : text.substr(a, b - a + 1);
}

// A one-line summary of a plan, read as text (results/ does not link a YAML parser):
// workload name, nodes, faults, node args and expect.
std::string PlanSummary(const std::string& yaml) {
  std::istringstream in(yaml);
  std::string line, section, workload, nodes, faults, args, expect;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string trimmed = Trim(line);
    bool top = line[0] != ' ' && line[0] != '-';
    if (top) section = trimmed.substr(0, trimmed.find(':'));
    auto value = [&] { return Trim(trimmed.substr(trimmed.find(':') + 1)); };
    if (top && trimmed.rfind("nodes:", 0) == 0) nodes = value();
    if (top && trimmed.rfind("expect:", 0) == 0) expect = value();
    if (section == "workload" && trimmed.rfind("name:", 0) == 0 && workload.empty()) {
      workload = value();
    }
    if (top && trimmed.rfind("workload:", 0) == 0 && !value().empty()) workload = value();
    if (section == "nemesis" && trimmed.rfind("faults:", 0) == 0) faults = value();
    if (section == "node" && trimmed.rfind("args:", 0) == 0) args = value();
  }
  std::string out;
  auto add = [&](const std::string& label, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += " \xC2\xB7 ";
    out += label + v;
  };
  add("", workload);
  add("nodes ", nodes);
  add("faults ", faults);
  add("node ", args);
  add("expect ", expect);
  return out;
}

// The node's planted bug, from results.json's node_args ("--bug", "NAME" or "--bug=NAME").
std::string BugOf(const json& results) {
  auto args = results.find("node_args");
  if (args == results.end() || !args->is_array()) return "";
  for (size_t i = 0; i < args->size(); ++i) {
    if (!(*args)[i].is_string()) continue;
    const std::string a = (*args)[i].get<std::string>();
    if (a == "--bug" && i + 1 < args->size() && (*args)[i + 1].is_string())
      return (*args)[i + 1].get<std::string>();
    if (a.rfind("--bug=", 0) == 0) return a.substr(6);
  }
  return "";
}

// When the first anomaly happened, in seconds into the run, as bench/bugs/matrix.sh reads it:
// the earliest of the linearizability counterexample's invoke time, term-churn's
// first_anomaly_s and raft-invariants' first_violation_s, over the checkers that found one.
double FirstAnomalySeconds(const json& results) {
  auto checkers = results.find("checkers");
  if (checkers == results.end() || !checkers->is_object()) return -1;
  double first = -1;
  auto consider = [&](const json& v, double scale) {
    if (!v.is_number()) return;
    const double t = v.get<double>() * scale;
    if (first < 0 || t < first) first = t;
  };
  for (const auto& [name, c] : checkers->items()) {
    if (!c.is_object() || c.value("valid", json(true)) != false) continue;
    const json details = c.value("details", json::object());
    if (name == "linearizable" && details.is_object() && details.contains("op") &&
        details["op"].is_object() && details["op"].contains("invoke_time")) {
      consider(details["op"]["invoke_time"], 1e-9);  // ns since the run's start
    }
    for (const char* key : {"first_anomaly_s", "first_violation_s"}) {
      if (c.contains(key)) consider(c[key], 1);
      if (details.is_object() && details.contains(key)) consider(details[key], 1);
    }
  }
  return first;
}

RunRow ReadRow(const fs::path& store, const fs::path& run) {
  RunRow row;
  std::error_code ec;
  row.dir = fs::relative(run, store, ec).generic_string();
  if (row.dir.empty()) row.dir = run.generic_string();
  row.href = UrlSegment(run.parent_path().filename().string()) + "/" +
             UrlSegment(run.filename().string()) + "/report.html";
  row.has_report = fs::exists(run / "report.html", ec);
  json results = json::object();
  std::ifstream in(run / "results.json", std::ios::binary);
  const bool interrupted = !in;
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    json parsed = json::parse(buffer.str(), nullptr, false);
    if (parsed.is_object()) results = std::move(parsed);
  }
  row.test = FieldText(results, "test");
  if (row.test.empty()) row.test = run.parent_path().filename().string();
  row.started = FieldText(results, "started");
  auto valid = results.find("valid");
  row.verdict = valid != results.end() && valid->is_boolean()
                    ? (valid->get<bool>() ? "valid" : "invalid")
                    : "unknown";
  // No results.json: stopped before it wrote one (killed).
  if (interrupted) row.verdict = "interrupted";
  row.expected = FieldText(results, "expected");
  if (row.expected.empty()) row.expected = "valid";
  row.seed = FieldText(results, "seed");
  row.system = FieldText(results, "system");
  row.plan_file = FieldText(results, "plan_file");
  row.shard = FieldText(results, "shard");
  row.bug = BugOf(results);
  row.first_anomaly_s = FirstAnomalySeconds(results);
  if (auto d = results.find("duration_s"); d != results.end() && d->is_number()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", d->get<double>());
    row.duration = buffer;
  }
  if (results.contains("stats") && results["stats"].is_object()) {
    row.ops = FieldText(results["stats"], "ops");
  }
  std::ifstream plan(run / "plan.yaml", std::ios::binary);
  if (plan) {
    std::stringstream buffer;
    buffer << plan.rdbuf();
    row.plan = PlanSummary(buffer.str());
  }
  row.sort_key = ParseIso8601Nanos(row.started);
  if (row.sort_key < 0) {
    auto mtime = fs::last_write_time(run, ec);
    row.sort_key = ec ? 0 : static_cast<int64_t>(mtime.time_since_epoch().count());
  }
  return row;
}

// One line of the detection matrix: a bug plan's runs and its correct twin's.
struct MatrixLine {
  std::string bug;  // the planted bug (the node's --bug)
  int runs = 0, caught = 0, unknown = 0;
  std::vector<std::string> caught_seeds;
  std::vector<double> first_anomaly_s;
  int twin_runs = 0, twin_alarms = 0, twin_unknown = 0;
};

std::string FileStem(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') + 1);
  return stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".yaml") == 0
             ? stem.substr(0, stem.size() - 5)
             : stem;
}

// Runs of plans/bugs/<name>.yaml (a node with --bug) and of plans/bugs/<name>-correct.yaml (the
// twin: the correct node), by <name>. Runs with a --bug from any other plan file are lines of
// their own, "<bug> in <test>", with no twin.
std::map<std::string, MatrixLine> DetectionMatrix(const std::vector<RunRow>& rows) {
  std::map<std::string, MatrixLine> lines;
  constexpr char kCorrect[] = "-correct";
  for (const RunRow& row : rows) {
    const bool bug_plan = row.plan_file.find("bugs/") != std::string::npos;
    std::string stem = FileStem(row.plan_file);
    const bool twin =
        bug_plan && row.bug.empty() && stem.size() > sizeof kCorrect - 1 &&
        stem.compare(stem.size() - (sizeof kCorrect - 1), std::string::npos, kCorrect) == 0;
    const bool unknown = row.verdict != "valid" && row.verdict != "invalid";
    if (twin) {
      MatrixLine& line = lines[stem.substr(0, stem.size() - (sizeof kCorrect - 1))];
      ++line.twin_runs;
      line.twin_alarms += row.verdict == "invalid";
      line.twin_unknown += unknown;
    } else if (!row.bug.empty()) {
      MatrixLine& line = lines[bug_plan ? stem : row.bug + " in " + row.test];
      line.bug = row.bug;
      ++line.runs;
      line.unknown += unknown;
      if (row.verdict == "invalid") {
        ++line.caught;
        line.caught_seeds.push_back(row.seed.empty() ? "?" : row.seed);
        if (row.first_anomaly_s >= 0) line.first_anomaly_s.push_back(row.first_anomaly_s);
      }
    }
  }
  return lines;
}

void RenderMatrix(const std::vector<RunRow>& rows, std::ostream& out) {
  const auto lines = DetectionMatrix(rows);
  if (lines.empty()) return;
  out << "<h2>Detection matrix</h2>\n<p class=\"muted\">Each planted bug's plan "
         "(plans/bugs/&lt;bug&gt;.yaml, expect invalid) and its correct twin "
         "(&lt;bug&gt;-correct.yaml, expect valid) over the runs of this store: the seeds that "
         "caught the bug, the median time into the run of the first anomalous operation, and "
         "the twin's false alarms.</p>\n<table id=\"matrix\"><thead><tr><th>plan</th><th>bug</th>"
         "<th>caught</th><th>seeds caught</th><th>median first anomaly</th>"
         "<th>twin false alarms</th><th>unknown (bug/twin)</th></tr></thead><tbody>\n";
  for (const auto& [name, line] : lines) {
    std::vector<std::string> seeds = line.caught_seeds;
    std::sort(seeds.begin(), seeds.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;  // numeric order
    });
    std::string seed_list;
    for (const auto& seed : seeds) seed_list += (seed_list.empty() ? "" : " ") + seed;
    char median[64] = "-";
    if (!line.first_anomaly_s.empty()) {
      std::snprintf(median, sizeof median, "%.1f s (n=%zu)", Median(line.first_anomaly_s),
                    line.first_anomaly_s.size());
    }
    const bool missed = line.runs > 0 && line.caught < line.runs;
    out << "<tr data-bug-plan=\"" << HtmlEscape(name) << "\"><td>" << HtmlEscape(name)
        << "</td><td>" << HtmlEscape(line.bug) << "</td><td class=\"caught"
        << (missed ? " missed" : "") << "\">" << line.caught << "/" << line.runs << "</td><td>"
        << HtmlEscape(seed_list) << "</td><td>" << median << "</td><td class=\"alarms"
        << (line.twin_alarms ? " missed" : "") << "\">";
    if (line.twin_runs) {
      out << line.twin_alarms << "/" << line.twin_runs;
    } else {
      out << "<span class=\"muted\">no twin runs</span>";
    }
    out << "</td><td>" << line.unknown << "/" << line.twin_unknown << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// A <select> over the distinct values of one column, for the filter bar ("" means all).
void RenderSelect(const std::vector<RunRow>& rows, const char* id, const char* all,
                  std::string RunRow::*field, std::ostream& out) {
  std::set<std::string> values;
  for (const auto& row : rows) values.insert(row.*field);
  std::vector<std::string> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
    const bool na = !a.empty() && std::all_of(a.begin(), a.end(), IsDigit);
    const bool nb = !b.empty() && std::all_of(b.begin(), b.end(), IsDigit);
    if (na && nb && a.size() != b.size()) return a.size() < b.size();  // seeds in numeric order
    return a < b;
  });
  out << "<select id=\"" << id << "\" data-attr=\"data-" << (id + 2) << "\"><option value=\"\">"
      << all << "</option>";
  for (const auto& v : sorted) {
    out << "<option value=\"" << HtmlEscape(v) << "\">" << (v.empty() ? "(none)" : HtmlEscape(v))
        << "</option>";
  }
  out << "</select>";
}

constexpr char kIndexCss[] = R"css(
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 20px 28px; color: #222; }
h1 { font-size: 22px; margin: 0 0 10px; }
.bar { display: flex; gap: 8px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
.bar button { padding: 2px 10px; border: 1px solid #bbb; background: #f4f4f4; border-radius: 4px; cursor: pointer; }
.bar button.on { background: #2b2f36; color: #fff; border-color: #2b2f36; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #eee; vertical-align: top; }
th { color: #555; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 700; color: #fff; font-size: 12px; }
.valid { background: #2e9d4a; } .invalid { background: #d9363e; } .unknown { background: #f0a020; }
.interrupted { background: #8a6d3b; }
tr.unexpected td:first-child { border-left: 4px solid #d9363e; padding-left: 6px; }
.muted { color: #888; }
h2 { font-size: 17px; margin: 18px 0 6px; }
#matrix { width: auto; margin-bottom: 16px; }
#matrix td.missed { color: #d9363e; font-weight: 700; }
.bar select { padding: 2px 4px; }
)css";

constexpr char kIndexJs[] = R"js(
(function () {
  'use strict';
  var rows = Array.prototype.slice.call(document.querySelectorAll('#runs tbody tr'));
  var verdict = 'all';
  var search = document.getElementById('search');
  var selects = Array.prototype.slice.call(document.querySelectorAll('.bar select'));
  selects.forEach(function (s) { s.addEventListener('change', apply); });
  function apply() {
    var q = search.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var ok = (verdict === 'all' || r.getAttribute('data-verdict') === verdict ||
                (verdict === 'unexpected' && r.classList.contains('unexpected'))) &&
               (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      selects.forEach(function (s) {
        if (s.value !== '' && r.getAttribute(s.getAttribute('data-attr')) !== s.value) ok = false;
      });
      r.style.display = ok ? '' : 'none';
      if (ok) shown++;
    });
    document.getElementById('count').textContent = shown + ' of ' + rows.length + ' runs';
  }
  Array.prototype.forEach.call(document.querySelectorAll('.bar button'), function (b) {
    b.addEventListener('click', function () {
      verdict = b.getAttribute('data-filter');
      Array.prototype.forEach.call(document.querySelectorAll('.bar button'), function (x) {
        x.classList.toggle('on', x === b);
      });
      apply();
    });
  });
  search.addEventListener('input', apply);
  // #invalid, or #verdict=invalid&seed=3&system=etcd&plan=...&shard=2/4: the filters (a link
  // can point at one slice of a sweep). Read at load and whenever the hash changes (back and
  // forward, a link within the page, an edited address); filters the hash does not name are
  // reset, so the page shows what the address says.
  function button(name) {
    var found = null;
    Array.prototype.forEach.call(document.querySelectorAll('.bar button'), function (b) {
      if (b.getAttribute('data-filter') === name) found = b;
    });
    return found;
  }
  function fromHash() {
    var chosen = button('all');
    selects.forEach(function (s) { s.value = ''; });
    window.location.hash.slice(1).split('&').forEach(function (part) {
      if (!part) return;
      var eq = part.indexOf('=');
      var key = eq < 0 ? 'verdict' : decodeURIComponent(part.slice(0, eq));
      var value = decodeURIComponent(eq < 0 ? part : part.slice(eq + 1));
      if (key === 'verdict') {
        chosen = button(value) || chosen;
        return;
      }
      var select = document.getElementById('f-' + key);
      if (select) select.value = value;
    });
    chosen.click();
  }
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
)js";

}  // namespace

Status WriteIndex(const fs::path& store_dir) {
  std::error_code ec;
  if (!fs::is_directory(store_dir, ec)) {
    return Status::NotFound(store_dir.string() + ": not a store directory");
  }
  std::vector<RunRow> rows;
  for (const fs::path& run : FindRuns(store_dir)) rows.push_back(ReadRow(store_dir, run));
  std::stable_sort(rows.begin(), rows.end(), [](const RunRow& a, const RunRow& b) {
    if (a.sort_key != b.sort_key) return a.sort_key > b.sort_key;
    return a.dir > b.dir;
  });
  int counts[4] = {0, 0, 0, 0};
  for (const auto& row : rows) {
    ++counts[row.verdict == "valid"     ? 0
             : row.verdict == "invalid" ? 1
             : row.verdict == "unknown" ? 2
                                        : 3];
  }
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>splitbrain runs</title><style>" << kIndexCss << "</style></head><body>\n"
      << "<h1>splitbrain runs</h1>\n<div class=\"bar\">"
      << "<button data-filter=\"all\" class=\"on\">all (" << rows.size() << ")</button>"
      << "<button data-filter=\"valid\">valid (" << counts[0] << ")</button>"
      << "<button data-filter=\"invalid\">invalid (" << counts[1] << ")</button>"
      << "<button data-filter=\"unknown\">unknown (" << counts[2] << ")</button>"
      << "<button data-filter=\"interrupted\">interrupted (" << counts[3] << ")</button>"
      << "<button data-filter=\"unexpected\">not as expected</button>"
      << "<input id=\"search\" type=\"search\" placeholder=\"filter by test, plan, seed...\">";
  RenderSelect(rows, "f-plan", "all plan files", &RunRow::plan_file, out);
  RenderSelect(rows, "f-system", "all systems", &RunRow::system, out);
  RenderSelect(rows, "f-seed", "all seeds", &RunRow::seed, out);
  RenderSelect(rows, "f-shard", "all shards", &RunRow::shard, out);
  out << "<span id=\"count\" class=\"muted\"></span></div>\n";
  RenderMatrix(rows, out);
  out << "<table id=\"runs\"><thead><tr><th>test</th><th>verdict</th><th>expected</th>"
         "<th>started (UTC)</th><th>duration</th><th>ops</th><th>seed</th><th>system</th>"
         "<th>shard</th><th>plan file</th><th>plan</th><th>report</th></tr></thead><tbody>\n";
  for (const auto& row : rows) {
    bool unexpected = row.verdict == "unknown" || row.verdict == "interrupted" ||
                      (row.verdict == "valid") != (row.expected == "valid");
    out << "<tr data-verdict=\"" << row.verdict << "\" data-plan=\"" << HtmlEscape(row.plan_file)
        << "\" data-system=\"" << HtmlEscape(row.system) << "\" data-seed=\""
        << HtmlEscape(row.seed) << "\" data-shard=\"" << HtmlEscape(row.shard) << "\""
        << (unexpected ? " class=\"unexpected\"" : "") << "><td>" << HtmlEscape(row.test)
        << "</td><td><span class=\"badge " << row.verdict << "\">" << row.verdict
        << "</span></td><td>" << HtmlEscape(row.expected) << "</td><td>"
        << HtmlEscape(row.started.empty() ? row.dir : row.started) << "</td><td>"
        << HtmlEscape(row.duration.empty() ? "" : row.duration + " s") << "</td><td>"
        << HtmlEscape(row.ops) << "</td><td>" << HtmlEscape(row.seed) << "</td><td>"
        << HtmlEscape(row.system) << "</td><td>" << HtmlEscape(row.shard) << "</td><td>"
        << HtmlEscape(row.plan_file) << "</td><td>" << HtmlEscape(row.plan) << "</td><td>";
    if (row.has_report) {
      out << "<a href=\"" << HtmlEscape(row.href) << "\">report</a>";
    } else {
      out << "<span class=\"muted\">no report</span>";
    }
    out << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (rows.empty()) out << "<p class=\"muted\">No runs in this store yet.</p>\n";
  out << "<script>" << kIndexJs << "</script></body></html>\n";
  return WriteFileAtomically(store_dir / "index.html", out.str());
}

}  // namespace splitbrain::results

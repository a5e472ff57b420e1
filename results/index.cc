// store/index.html: every run of a store, newest first, filterable by verdict and text.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

#include "results/html.h"
#include "results/report.h"
#include "results/run_data.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunRow {
  std::string test, started, verdict, expected, seed, duration, ops, plan, href, dir;
  int64_t sort_key = 0;  // ns since the epoch (or the folder's mtime when unknown)
  bool has_report = false;
};

std::string Field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>()
                         : it->dump(-1, ' ', false, json::error_handler_t::replace);
}

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
  row.test = Field(results, "test");
  if (row.test.empty()) row.test = run.parent_path().filename().string();
  row.started = Field(results, "started");
  auto valid = results.find("valid");
  row.verdict = valid != results.end() && valid->is_boolean()
                    ? (valid->get<bool>() ? "valid" : "invalid")
                    : "unknown";
  // No results.json: stopped before it wrote one (killed).
  if (interrupted) row.verdict = "interrupted";
  row.expected = Field(results, "expected");
  if (row.expected.empty()) row.expected = "valid";
  row.seed = Field(results, "seed");
  if (auto d = results.find("duration_s"); d != results.end() && d->is_number()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", d->get<double>());
    row.duration = buffer;
  }
  if (results.contains("stats") && results["stats"].is_object()) {
    row.ops = Field(results["stats"], "ops");
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
)css";

constexpr char kIndexJs[] = R"js(
(function () {
  'use strict';
  var rows = Array.prototype.slice.call(document.querySelectorAll('#runs tbody tr'));
  var verdict = 'all';
  var search = document.getElementById('search');
  function apply() {
    var q = search.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var ok = (verdict === 'all' || r.getAttribute('data-verdict') === verdict ||
                (verdict === 'unexpected' && r.classList.contains('unexpected'))) &&
               (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
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
  var hash = window.location.hash.slice(1);
  var initial = document.querySelector('.bar button[data-filter="' + hash + '"]');
  if (initial) initial.click(); else apply();
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
      << "<input id=\"search\" type=\"search\" placeholder=\"filter by test, plan, seed...\">"
      << "<span id=\"count\" class=\"muted\"></span></div>\n"
      << "<table id=\"runs\"><thead><tr><th>test</th><th>verdict</th><th>expected</th>"
         "<th>started (UTC)</th><th>duration</th><th>ops</th><th>seed</th><th>plan</th>"
         "<th>report</th></tr></thead><tbody>\n";
  for (const auto& row : rows) {
    bool unexpected = row.verdict == "unknown" || row.verdict == "interrupted" ||
                      (row.verdict == "valid") != (row.expected == "valid");
    out << "<tr data-verdict=\"" << row.verdict << "\""
        << (unexpected ? " class=\"unexpected\"" : "") << "><td>" << HtmlEscape(row.test)
        << "</td><td><span class=\"badge " << row.verdict << "\">" << row.verdict
        << "</span></td><td>" << HtmlEscape(row.expected) << "</td><td>"
        << HtmlEscape(row.started.empty() ? row.dir : row.started) << "</td><td>"
        << HtmlEscape(row.duration.empty() ? "" : row.duration + " s") << "</td><td>"
        << HtmlEscape(row.ops) << "</td><td>" << HtmlEscape(row.seed) << "</td><td>"
        << HtmlEscape(row.plan) << "</td><td>";
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

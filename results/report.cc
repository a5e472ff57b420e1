#include "results/report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <system_error>
#include <vector>

#include "common/log.h"
#include "results/html.h"
#include "results/junit.h"
#include "results/report_assets.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// "valid", "invalid" or "unknown" for a results.json / checker verdict.
std::string VerdictClass(const json& object) {
  auto it = object.find("valid");
  if (it == object.end() || !it->is_boolean()) return "unknown";
  return it->get<bool>() ? "valid" : "invalid";
}

std::string Duration(const json& results) {
  auto it = results.find("duration_s");
  if (it == results.end() || !it->is_number()) return "?";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f s", it->get<double>());
  return buffer;
}

int64_t Micros(int64_t ns) { return ns < 0 ? -1 : ns / 1000; }

// The data the script draws; times in µs since the run began. Columnar arrays keep a
// 100,000-operation run to a few MB.
// Which operations the page draws: all of them, or above `max_drawn_ops` every `stride`-th ok
// one plus every fail/info and the ops within 500 of those the counterexample names.
std::vector<bool> ChooseDrawn(const RunData& run, int64_t max_drawn_ops, int64_t* stride) {
  const int64_t n = static_cast<int64_t>(run.ops.size());
  std::vector<bool> keep(run.ops.size(), true);
  *stride = 1;
  if (n <= max_drawn_ops) return keep;
  int64_t others = 0;
  for (const Operation& op : run.ops) others += op.type != OpType::kOk;
  int64_t room = std::max<int64_t>(max_drawn_ops - std::min(others, max_drawn_ops / 2), 1);
  *stride = std::max<int64_t>(2, (n - others + room - 1) / room);
  int64_t ok_seen = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (run.ops[i].type == OpType::kOk) keep[i] = ok_seen++ % *stride == 0;
  }
  std::vector<int64_t> named;  // the checker's op indices (invocation order, as ours)
  const json* details = nullptr;
  if (auto c = run.results.find("checkers"); c != run.results.end() && c->is_object()) {
    for (const auto& [name, checker] : c->items()) {
      if (checker.is_object() && checker.contains("details") && checker["details"].is_object()) {
        details = &checker["details"];
        break;
      }
    }
  }
  if (details) {
    auto add = [&](const json& op) {
      if (op.is_object() && op.contains("index") && op["index"].is_number_integer()) {
        named.push_back(op["index"].get<int64_t>());
      }
    };
    for (const char* field : {"op", "prefix", "concurrent"}) {
      if (!details->contains(field)) continue;
      const json& value = (*details)[field];
      if (value.is_array()) {
        for (const auto& op : value) add(op);
      } else {
        add(value);
      }
    }
  }
  for (int64_t index : named) {
    for (int64_t i = std::max<int64_t>(0, index - 500); i < std::min(n, index + 500); ++i) {
      keep[i] = true;
    }
  }
  return keep;
}

json BuildData(const RunData& run, int64_t max_drawn_ops) {
  json data = json::object();
  std::map<std::string, int> f_index, key_index, node_index;
  json fs_list = json::array(), keys = json::array(), nodes = json::array();
  auto intern = [](std::map<std::string, int>& index, json& list, const std::string& name) {
    auto [it, added] = index.emplace(name, static_cast<int>(list.size()));
    if (added) list.push_back(name);
    return it->second;
  };
  json p = json::array(), f = json::array(), k = json::array(), t = json::array(),
       s = json::array(), e = json::array(), v = json::array(), r = json::array(),
       n = json::array(), l = json::array();
  int64_t stride = 1, drawn = 0;
  std::vector<bool> keep = ChooseDrawn(run, max_drawn_ops, &stride);
  for (size_t i = 0; i < run.ops.size(); ++i) {
    if (!keep[i]) continue;
    ++drawn;
    const Operation& op = run.ops[i];
    p.push_back(op.process);
    f.push_back(intern(f_index, fs_list, op.f));
    k.push_back(op.key.empty() ? -1 : intern(key_index, keys, op.key));
    t.push_back(static_cast<int>(op.type));
    s.push_back(Micros(op.invoke_ns));
    e.push_back(Micros(op.complete_ns));
    v.push_back(op.value);
    r.push_back(op.result == op.value ? "" : op.result);
    n.push_back(op.node.empty() ? -1 : intern(node_index, nodes, op.node));
    l.push_back(op.invoke_line);
  }
  data["ops"] = {{"p", std::move(p)}, {"f", std::move(f)}, {"k", std::move(k)}, {"t", std::move(t)},
                 {"s", std::move(s)}, {"e", std::move(e)}, {"v", std::move(v)}, {"r", std::move(r)},
                 {"n", std::move(n)}, {"l", std::move(l)}};
  data["fs"] = std::move(fs_list);
  data["keys"] = std::move(keys);
  data["nodes"] = std::move(nodes);

  json faults = json::array();
  for (const Fault& fault : run.faults) {
    json links = json::array();
    for (const auto& [from, to] : fault.links) links.push_back({from, to});
    json delayed = json::array();
    for (const auto& [from, to] : fault.delayed) delayed.push_back({from, to});
    faults.push_back({{"id", fault.id},
                      {"fault", fault.fault},
                      {"targets", fault.targets},
                      {"links", std::move(links)},
                      {"delayed", std::move(delayed)},
                      {"s", Micros(fault.start_ns)},
                      {"e", Micros(fault.end_ns)},
                      {"unsupported", fault.unsupported},
                      {"detail", fault.detail}});
  }
  data["faults"] = std::move(faults);

  json raft = json::array();
  for (const NodeData& node : run.nodes) {
    json events = json::array();
    for (const NodeEvent& event : node.events) {
      // [t, event, term, role, leader, index, source]: source only on restores.
      json e = {Micros(std::max<int64_t>(0, event.t_ns)),
                event.event,
                event.term,
                event.role,
                event.leader.empty() ? json(nullptr) : json(event.leader),
                event.index};
      if (!event.source.empty()) e.push_back(event.source);
      events.push_back(std::move(e));
    }
    raft.push_back({{"id", node.id}, {"lines", node.event_lines}, {"ev", std::move(events)}});
  }
  data["raft"] = std::move(raft);

  // The checkers' results, whole: the counterexample is drawn from them.
  data["results"] = run.results;
  json meta = {
      {"endUs", Micros(std::max<int64_t>(run.end_ns, 1000))},
      {"startWallMs", run.start_wall_ns < 0 ? json(nullptr) : json(run.start_wall_ns / 1'000'000)},
      {"hasTimes", run.history_has_times}};
  meta["okStride"] = stride;
  meta["drawnOps"] = drawn;
  meta["totalOps"] = run.ops.size();
  data["meta"] = std::move(meta);
  return data;
}

// A scalar as a person reads it: strings bare, fractions to four significant digits.
std::string ScalarText(const json& value) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    return text.size() > 300 ? text.substr(0, 300) + "..." : text;
  }
  if (value.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value.get<double>());
    return buffer;
  }
  return Dump(value);
}

bool IsFlatObject(const json& value) {
  if (!value.is_object() || value.empty()) return false;
  for (const auto& [key, item] : value.items()) {
    if (item.is_structured()) return false;
  }
  return true;
}

constexpr size_t kMaxNestedRows = 200;

// A checker's field: a scalar as text; nested values as small tables (never raw JSON that
// spills out of its card): an object of scalars (perf's latency_ms) as one header row and one
// value row; an object of such objects (stats' by_f) as a matrix; a list of such objects
// (availability's windows) as a table in a scrolling box; a list of scalars as a list. Anything
// deeper is folded away as indented JSON.
void RenderValue(const json& value, std::ostringstream& out) {
  if (!value.is_structured()) {
    out << HtmlEscape(ScalarText(value));
    return;
  }
  if (value.empty()) {
    out << "<span class=\"muted\">none</span>";
    return;
  }
  if (IsFlatObject(value)) {
    out << "<div class=\"nested-wrap\"><table class=\"nested\"><tr>";
    for (const auto& [key, item] : value.items()) out << "<th>" << HtmlEscape(key) << "</th>";
    out << "</tr><tr>";
    for (const auto& [key, item] : value.items()) {
      out << "<td>" << HtmlEscape(ScalarText(item)) << "</td>";
    }
    out << "</tr></table></div>";
    return;
  }
  // Rows (an object's values or a list's elements) that are all flat objects: one table.
  const bool rows_flat = std::all_of(value.begin(), value.end(), IsFlatObject);
  if (rows_flat) {
    std::vector<std::string> columns;
    for (const auto& row : value) {
      for (const auto& [key, item] : row.items()) {
        if (std::find(columns.begin(), columns.end(), key) == columns.end()) {
          columns.push_back(key);
        }
      }
    }
    out << "<div class=\"nested-wrap\"><table class=\"nested\"><tr>";
    if (value.is_object()) out << "<th></th>";
    for (const auto& c : columns) out << "<th>" << HtmlEscape(c) << "</th>";
    out << "</tr>";
    size_t n = 0;
    for (auto it = value.begin(); it != value.end() && n < kMaxNestedRows; ++it, ++n) {
      out << "<tr>";
      if (value.is_object()) out << "<th>" << HtmlEscape(it.key()) << "</th>";
      for (const auto& c : columns) {
        auto cell = it->find(c);
        out << "<td>" << (cell == it->end() ? "" : HtmlEscape(ScalarText(*cell))) << "</td>";
      }
      out << "</tr>";
    }
    out << "</table>";
    if (value.size() > kMaxNestedRows) {
      out << "<span class=\"muted\">... " << value.size() - kMaxNestedRows
          << " more rows in results.json</span>";
    }
    out << "</div>";
    return;
  }
  if (value.is_array() &&
      std::none_of(value.begin(), value.end(), [](const json& v) { return v.is_structured(); })) {
    std::string text;
    size_t n = 0;
    for (const auto& item : value) {
      if (n++ == 50) {
        text += ", ... (" + std::to_string(value.size()) + " in all)";
        break;
      }
      text += (text.empty() ? "" : ", ") + ScalarText(item);
    }
    out << HtmlEscape(text);
    return;
  }
  std::string text = value.dump(1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 20000) text = text.substr(0, 20000) + "\n...";
  out << "<details><summary>" << value.size() << (value.is_array() ? " items" : " fields")
      << "</summary><pre class=\"nested-json\">" << HtmlEscape(text) << "</pre></details>";
}

void RenderCheckers(const json& results, std::ostringstream& out) {
  auto it = results.find("checkers");
  if (it == results.end() || !it->is_object() || it->empty()) {
    out << "<p class=\"muted\">No checker results.</p>\n";
    return;
  }
  out << "<div class=\"cards\">\n";
  for (const auto& [name, checker] : it->items()) {
    const json& object = checker.is_object() ? checker : json::object();
    std::string verdict = VerdictClass(object);
    out << "<div class=\"card " << verdict << "\" id=\"checker-" << HtmlEscape(name) << "\"><h3>"
        << HtmlEscape(name) << " <span class=\"badge " << verdict << "\">" << verdict
        << "</span></h3>\n";
    std::string explanation = FieldText(object, "explanation");
    if (explanation.empty()) explanation = FieldText(object, "why");
    if (!explanation.empty()) {
      if (explanation.size() > 4000) explanation = explanation.substr(0, 4000) + "...";
      out << "<p>" << HtmlEscape(explanation) << "</p>\n";
    }
    std::ostringstream rows;
    for (const auto& [field, value] : object.items()) {
      if (field == "valid" || field == "explanation" || field == "details" || field == "why") {
        continue;
      }
      rows << "<tr><th>" << HtmlEscape(field) << "</th><td>";
      RenderValue(value, rows);
      rows << "</td></tr>";
    }
    if (!rows.str().empty()) out << "<table>" << rows.str() << "</table>\n";
    if (object.contains("details") && name != "linearizable") {
      std::string details = object["details"].dump(1, ' ', false, json::error_handler_t::replace);
      if (details.size() > 20000) details = details.substr(0, 20000) + "\n...";
      out << "<details><summary>details</summary><pre>" << HtmlEscape(details)
          << "</pre></details>\n";
    }
    out << "</div>\n";
  }
  out << "</div>\n";
}

std::string SecondsText(int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f s", static_cast<double>(ns) / 1e9);
  return buffer;
}

// The fault log as a table: the data behind the shaded windows, and what could not be injected.
void RenderFaultTable(const RunData& run, std::ostringstream& out) {
  int unsupported = 0;
  for (const Fault& fault : run.faults) unsupported += fault.unsupported;
  if (unsupported > 0) {
    out << "<p class=\"unsupported\"><b>" << unsupported
        << " fault(s) could not be injected on this machine</b> (recorded, not faked): ";
    bool first = true;
    for (const Fault& fault : run.faults) {
      if (!fault.unsupported) continue;
      out << (first ? "" : "; ") << HtmlEscape(fault.fault) << " " << HtmlEscape(fault.detail);
      first = false;
    }
    out << "</p>\n";
  }
  if (run.faults.empty()) return;
  out << "<details><summary>fault log (" << run.faults.size()
      << " faults, nemesis.jsonl)</summary><table id=\"fault-table\"><tr><th>id</th><th>fault</th>"
         "<th>targets</th><th>start</th><th>end</th><th>links cut</th><th>detail</th></tr>\n";
  for (const Fault& fault : run.faults) {
    std::string targets, links;
    for (const auto& t : fault.targets) targets += (targets.empty() ? "" : ", ") + t;
    for (const auto& [from, to] : fault.links) {
      links += (links.empty() ? "" : " ") + from + "\xE2\x86\x92" + to;
    }
    out << "<tr" << (fault.unsupported ? " class=\"unsupported\"" : "") << "><td>" << fault.id
        << "</td><td>" << HtmlEscape(fault.fault) << (fault.unsupported ? " (unsupported)" : "")
        << "</td><td>" << HtmlEscape(targets) << "</td><td>" << SecondsText(fault.start_ns)
        << "</td><td>" << (fault.end_ns < 0 ? "never ended" : SecondsText(fault.end_ns))
        << "</td><td>" << HtmlEscape(links) << "</td><td>" << HtmlEscape(fault.detail)
        << "</td></tr>\n";
  }
  out << "</table></details>\n";
}

// Which node answered the operations (history.jsonl's `node`), and whether it believed it led
// at the time (its own role events): where the traffic went is where bugs can surface (issue
// 25). Counts every operation, drawn or not.
void RenderTrafficTable(const RunData& run, const json& results, std::ostringstream& out) {
  struct Row {
    int64_t by_type[4] = {0, 0, 0, 0};
    int64_t ok_leading = 0;  // ok answers while the node's last role event said leader
  };
  std::map<std::string, Row> rows;
  // Whether `id` said it was leader at `t_ns`: its last role (or start) event before then, its
  // events read in file order up to the first one later than `t_ns`. Per node, the latest time
  // seen so far (never decreasing, so a binary search finds where that reading stops) and
  // whether it led after each event — one pass over the events, not one per operation.
  struct Timeline {
    std::vector<int64_t> latest;
    std::vector<bool> leader_after;
  };
  std::map<std::string, Timeline> timelines;
  for (const NodeData& node : run.nodes) {
    Timeline& line = timelines[node.id];
    bool leader = false;
    int64_t latest = std::numeric_limits<int64_t>::min();
    for (const NodeEvent& e : node.events) {
      if (e.event == "start") leader = false;
      if (e.event == "role") leader = e.role == "leader";
      latest = std::max(latest, e.t_ns);
      line.latest.push_back(latest);
      line.leader_after.push_back(leader);
    }
  }
  auto leading = [&](const std::string& id, int64_t t_ns) {
    auto it = timelines.find(id);
    if (it == timelines.end()) return false;
    const Timeline& line = it->second;
    auto read =
        std::upper_bound(line.latest.begin(), line.latest.end(), t_ns) - line.latest.begin();
    return read > 0 && line.leader_after[static_cast<size_t>(read - 1)];
  };
  int64_t ok_total = 0;
  for (const Operation& op : run.ops) {
    Row& row = rows[op.node];
    row.by_type[static_cast<int>(op.type)]++;
    if (op.type != OpType::kOk) continue;
    ++ok_total;
    if (!op.node.empty() && leading(op.node, op.complete_ns)) row.ok_leading++;
  }
  const std::string placement = FieldText(results, "placement");
  out << "<section id=\"traffic-section\"><h2>Where operations went</h2>\n<p class=\"muted\">"
      << "Client placement <b id=\"placement\">"
      << HtmlEscape(placement.empty() ? "not recorded" : placement)
      << "</b> (plans/README.md, workload.placement). The node that answered each operation, "
         "and whether it believed it was the leader then (its own events.jsonl); bugs surface "
         "only where operations go.</p>\n";
  if (run.ops.empty()) {
    out << "<p class=\"muted\">No operations.</p></section>\n";
    return;
  }
  out << "<table id=\"traffic\"><tr><th>node</th><th>ok</th><th>ok while leader</th><th>ok while "
         "not leader</th><th>fail</th><th>info</th><th>never completed</th><th>share of "
         "ok</th></tr>\n";
  for (const auto& [node, row] : rows) {
    const int64_t ok = row.by_type[0];
    const double share = ok_total > 0 ? 100.0 * static_cast<double>(ok) / ok_total : 0;
    char pct[32];
    snprintf(pct, sizeof pct, "%.1f%%", share);
    out << "<tr data-node=\"" << HtmlEscape(node) << "\"><td>"
        << (node.empty() ? "(none)" : HtmlEscape(node)) << "</td><td>" << ok << "</td><td>"
        << row.ok_leading << "</td><td>" << ok - row.ok_leading << "</td><td>" << row.by_type[1]
        << "</td><td>" << row.by_type[2] << "</td><td>" << row.by_type[3]
        << "</td><td><span class=\"share\" style=\"width:" << static_cast<int>(share * 2)
        << "px\"></span> " << pct << "</td></tr>\n";
  }
  out << "</table></section>\n";
}

// The first place a reader should look: the counterexample, else the first invalid checker.
std::string FirstErrorAnchor(const json& results) {
  auto it = results.find("checkers");
  if (it == results.end() || !it->is_object()) return "";
  if (auto lin = it->find("linearizable");
      lin != it->end() && lin->is_object() && VerdictClass(*lin) == "invalid") {
    return "counterexample";
  }
  // Another checker's counterexample (the lock checker's mutex model) is drawn there too.
  for (const auto& [name, checker] : it->items()) {
    if (!checker.is_object() || VerdictClass(checker) != "invalid") continue;
    const json details = checker.value("details", json::object());
    if (details.is_object() && details.contains("mutex") && details["mutex"].contains("op")) {
      return "counterexample";
    }
  }
  for (const auto& [name, checker] : it->items()) {
    if (checker.is_object() && VerdictClass(checker) == "invalid") return "checker-" + name;
  }
  return "";
}

}  // namespace

std::string RenderReportHtml(const RunData& run, int64_t max_drawn_ops) {
  const json& results = run.results;
  std::string verdict = VerdictClass(results);
  std::string test = FieldText(results, "test");
  if (test.empty()) test = run.dir.parent_path().filename().string();
  std::string expected = FieldText(results, "expected");
  if (expected.empty()) expected = "valid";
  std::string seed = FieldText(results, "seed");
  std::string started = FieldText(results, "started");
  int64_t counts[4] = {0, 0, 0, 0};
  for (const Operation& op : run.ops) ++counts[static_cast<int>(op.type)];

  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>splitbrain: " << HtmlEscape(test) << " \xE2\x80\x94 " << verdict
      << "</title>\n<style>\n"
      << kReportCss << "</style></head>\n<body>\n";
  out << "<header class=\"" << verdict << "\"><h1>" << HtmlEscape(test) << "</h1>"
      << "<span class=\"badge big " << verdict << "\" id=\"verdict\">" << verdict << "</span> ";
  if (run.interrupted) {
    out << "<span class=\"badge big unknown\" id=\"interrupted\">interrupted</span> "
        << "<span class=\"meta\">no results.json: the run was stopped before it wrote its "
           "verdict (killed?); what it recorded is below</span>";
  } else if (verdict != "unknown") {
    bool as_expected = (verdict == "valid") == (expected == "valid");
    out << "<span class=\"meta\">expected " << HtmlEscape(expected) << ": <b>"
        << (as_expected ? "as expected" : "NOT as expected") << "</b></span>";
  } else {
    std::string why = FieldText(results, "why");
    out << "<span class=\"meta\">" << HtmlEscape(why.empty() ? "no verdict" : why) << "</span>";
  }
  const std::string system = FieldText(results, "system");
  out << "\n<div class=\"meta\">";
  if (!system.empty()) out << "system <b id=\"system\">" << HtmlEscape(system) << "</b> &middot; ";
  const bool simulated = results.is_object() && results.value("simulated", false) == true;
  if (simulated) {
    // splitbrain sim (harness/sim/): simulated time, not the lab's processes.
    out << "<b id=\"simulated\">simulated</b> (deterministic: the seed replays it byte for "
           "byte) &middot; ";
  }
  out << "seed <b id=\"seed\">" << HtmlEscape(seed.empty() ? "?" : seed)
      << "</b> &middot; started <b>" << HtmlEscape(started.empty() ? "?" : started)
      << "</b> &middot; duration <b>" << Duration(results) << "</b> &middot; <b>" << run.ops.size()
      << "</b> operations (" << counts[0] << " ok, " << counts[1] << " fail, "
      << counts[2] + counts[3] << " info) &middot; <b>" << run.faults.size()
      << "</b> faults &middot; <b>" << run.nodes.size() << "</b> nodes</div>\n";
  if (!seed.empty()) {
    out << "<div class=\"meta\">reproduce: <code>splitbrain " << (simulated ? "sim" : "run")
        << " plan.yaml --seed " << HtmlEscape(seed) << "</code> (in this run's folder)</div>\n";
  }
  std::string anchor = FirstErrorAnchor(results);
  if (!anchor.empty()) {
    out << "<a class=\"jump\" id=\"jump-first-error\" href=\"#" << HtmlEscape(anchor)
        << "\">jump to the first error</a>\n";
  }
  out << "</header>\n<nav><a href=\"#checkers\">checkers</a><a href=\"#timeline-section\">"
         "timeline</a><a href=\"#traffic-section\">traffic</a><a href=\"#plots\">latency &amp; "
         "throughput</a><a "
         "href=\"#counterexample\">counterexample</a><a href=\"#raft-section\">raft</a><a "
         "href=\"#logs\">node logs</a><a href=\"#plan\">plan</a></nav>\n"
      << "<noscript><p>The timeline and plots need JavaScript; the rest of this page does "
         "not.</p></noscript>\n<ul id=\"sb-errors\"></ul>\n";

  out << "<section id=\"checkers\"><h2>Checkers</h2>\n";
  RenderCheckers(results, out);
  if (results.contains("stats") && results["stats"].is_object()) {
    out << "<h3>Stats</h3><table id=\"stats\">";
    for (const auto& [name, value] : results["stats"].items()) {
      out << "<tr><th>" << HtmlEscape(name) << "</th><td>"
          << HtmlEscape(value.is_string() ? value.get<std::string>() : Dump(value)) << "</td></tr>";
    }
    out << "</table>\n";
  }
  out << "</section>\n";

  out << "<section id=\"timeline-section\"><h2>Operations per client</h2>\n"
      << "<div class=\"toolbar\"><button id=\"sb-zoom-in\">zoom in</button><button "
         "id=\"sb-zoom-out\">zoom out</button><button id=\"sb-reset\">whole run</button><span "
         "id=\"sb-range\"></span><span>&middot; Ctrl/Shift+wheel zooms, drag pans, double-click "
         "resets; "
         "hover for details &middot; bars: <span style=\"color:#2e9d4a\">ok</span> <span "
         "style=\"color:#d9363e\">fail</span> <span style=\"color:#f0a020\">info</span> <span "
         "style=\"color:#a66fc9\">never completed</span>; shaded: faults</span></div>\n"
      << "<div id=\"timeline\"></div>\n<h3>Faults and links cut</h3><div id=\"faults\"></div>\n";
  RenderFaultTable(run, out);
  out << "</section>\n";
  RenderTrafficTable(run, results, out);
  out << "<section id=\"plots\"><h2>Latency</h2><div id=\"latency\"></div>\n"
         "<h2>Throughput</h2><div id=\"rate\"></div></section>\n";
  out << "<section id=\"counterexample-section\"><h2>Counterexample</h2>"
         "<div id=\"counterexample\"></div></section>\n";
  out << "<section id=\"raft-section\"><h2>Raft: roles, terms and leaders per node</h2>"
         "<p class=\"muted\">From nodes/*/events.jsonl. Black ticks: node (re)starts. Leader "
         "dark, candidates yellow, followers thin. Snapshots: green triangles taken, red "
         "diamonds installed from the leader (InstallSnapshot), purple squares restored from "
         "disk at a restart.</p><div id=\"raft\"></div></section>\n";

  out << "<section id=\"logs\"><h2>Node logs</h2>\n";
  if (run.nodes.empty()) out << "<p class=\"muted\">No nodes/ folder in this run.</p>\n";
  bool first = true;
  for (const NodeData& node : run.nodes) {
    if (node.logs.empty()) {
      out << "<p class=\"muted\">" << HtmlEscape(node.id) << ": no log files.</p>\n";
    }
    for (const LogTail& log : node.logs) {
      out << "<details" << (first ? " open" : "") << "><summary>" << HtmlEscape(node.id) << "/"
          << HtmlEscape(log.file);
      if (log.skipped_lines > 0) {
        out << " (last " << kLogTailLines << " lines; " << log.skipped_lines
            << " earlier lines not shown)";
      }
      out << "</summary><pre class=\"log\">" << HtmlEscape(log.text) << "</pre></details>\n";
      first = false;
    }
  }
  out << "</section>\n";

  out << "<section id=\"plan\"><h2>Plan as run</h2><pre>"
      << HtmlEscape(run.plan_yaml.empty() ? "(plan.yaml missing)" : run.plan_yaml)
      << "</pre></section>\n";
  if (!run.warnings.empty()) {
    out << "<section id=\"warnings\"><h2>Warnings while reading the run</h2><ul "
           "class=\"warnings\">";
    for (const auto& warning : run.warnings) out << "<li>" << HtmlEscape(warning) << "</li>";
    out << "</ul></section>\n";
  }
  out << "<footer>splitbrain report &middot; " << HtmlEscape(run.dir.string())
      << " &middot; <span id=\"sb-render-info\"></span></footer>\n<div id=\"sb-tip\"></div>\n";
  out << "<script type=\"application/json\" id=\"sb-data\">"
      << ScriptSafe(Dump(BuildData(run, max_drawn_ops))) << "</script>\n<script>\n"
      << kReportJs << "</script>\n</body></html>\n";
  return out.str();
}

Status WriteReport(const fs::path& run_dir) {
  SB_ASSIGN_OR_RETURN(RunData run, ReadRun(run_dir));
  SB_RETURN_IF_ERROR(WriteFileAtomically(run_dir / "report.html", RenderReportHtml(run)));
  std::string fallback = run_dir.parent_path().filename().string();
  return WriteFileAtomically(run_dir / "junit.xml", RenderJunit(run.results, fallback));
}

std::vector<fs::path> FindRuns(const fs::path& store_dir) {
  std::vector<fs::path> runs;
  std::error_code ec;
  for (const auto& test : fs::directory_iterator(store_dir, ec)) {
    if (test.is_symlink(ec) || !test.is_directory(ec)) continue;  // store/latest
    std::error_code inner;
    for (const auto& run : fs::directory_iterator(test.path(), inner)) {
      if (run.is_symlink(inner) || !run.is_directory(inner)) continue;
      if (fs::exists(run.path() / "results.json", inner) ||
          fs::exists(run.path() / "history.jsonl", inner) ||
          fs::exists(run.path() / "plan.yaml", inner)) {
        runs.push_back(run.path());
      }
    }
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

int RunReportCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr int kBadUsage = 255;
  std::vector<std::string> rest = args;
  if (!rest.empty() && rest.front() == "report") rest.erase(rest.begin());
  if (rest.size() == 1 && (rest[0] == "--help" || rest[0] == "-h")) {
    out << "usage: splitbrain report STORE\n"
           "\n"
           "Regenerates report.html and junit.xml of every run in STORE "
           "(STORE/<test>/<timestamp>/,\n"
           "as `splitbrain run --store STORE` writes it), then STORE/index.html. A run without\n"
           "results.json (stopped before it wrote one) is listed as interrupted.\n"
           "\n"
           "flags:\n"
           "  -h, --help   this text\n"
           "\n"
           "exit codes: 0 all written, 1 some runs could not be written (the others and the index\n"
           "were), 255 bad usage, no such directory, or a directory that is not a store.\n"
           "docs: results/README.md in splitbrain's source tree.\n";
    return 0;
  }
  if (rest.size() != 1 || (!rest[0].empty() && rest[0][0] == '-')) {
    err << "usage: splitbrain report STORE   (splitbrain report --help says more)\n";
    return kBadUsage;
  }
  fs::path store = rest[0];
  std::error_code ec;
  if (!fs::is_directory(store, ec)) {
    err << "splitbrain report: " << store.string() << ": no such store directory\n";
    return kBadUsage;
  }
  std::vector<fs::path> runs = FindRuns(store);
  // A folder with no run in it is not a store: writing an empty index there would only hide
  // the mistake (a run folder, or the wrong path, given by hand).
  if (runs.empty()) {
    err << "splitbrain report: " << store.string()
        << ": not a store (no STORE/<test>/<timestamp>/ run folder in it";
    if (fs::exists(store / "results.json", ec) || fs::exists(store / "plan.yaml", ec)) {
      err << "; this is one run's folder: give the store it is in, "
          << fs::absolute(store).lexically_normal().parent_path().parent_path().string();
    }
    err << ")\n";
    return kBadUsage;
  }
  int failed = 0;
  for (const fs::path& run : runs) {
    Status status = WriteReport(run);
    if (!status.ok()) {
      ++failed;
      err << "splitbrain report: " << run.string() << ": " << status << "\n";
    } else {
      out << (run / "report.html").string();
      if (!fs::exists(run / "results.json", ec)) out << " (interrupted: no results.json)";
      out << "\n";
    }
  }
  Status index = WriteIndex(store);
  if (!index.ok()) {
    err << "splitbrain report: " << index << "\n";
    return 1;
  }
  out << (store / "index.html").string() << " (" << runs.size() << " runs)\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace splitbrain::results

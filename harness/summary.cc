#include "harness/summary.h"

#include <algorithm>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "common/signal_name.h"
#include "harness/run_dir.h"
#include "results/report.h"

namespace splitbrain::harness {
using nlohmann::json;

json CombineVerdicts(const json& a, const json& b) {
  if (a == false || b == false) return false;
  if (a == "unknown" || b == "unknown") return "unknown";
  return true;
}

json VerdictOfCheckers(const json& checkers, std::string* why_unknown) {
  json valid = true;
  for (const auto& [name, r] : checkers.items()) valid = CombineVerdicts(valid, r["valid"]);
  if (valid == "unknown") {
    for (const auto& [name, r] : checkers.items()) {
      if (r["valid"] == "unknown")
        *why_unknown += name + ": " + r.value("explanation", std::string("unknown")) + "; ";
    }
  }
  return valid;
}

json RunStats(int64_t invokes, int64_t ok, int64_t fail, int64_t info, int64_t time_limit_ns,
              int faults) {
  return {{"ops", invokes},
          {"ok", ok},
          {"fail", fail},
          {"info", info},
          {"ops_per_s", invokes / std::max(1e-9, time_limit_ns / 1e9)},
          {"faults", faults}};
}

int ExitCodeFor(const json& valid, const std::string& expect) {
  if (valid == "unknown" || valid.is_null()) return 2;
  const bool found_anomaly = valid == false;
  return found_anomaly == (expect == "invalid") ? 0 : 1;
}

json OutcomeToJson(const TestOutcome& o) {
  return {{"name", o.name},
          {"run_dir", o.run_dir},
          {"valid", o.valid},
          {"expect", o.expect},
          {"exit_code", o.exit_code},
          {"why", o.why},
          {"duration_s", o.duration_s},
          {"stats", o.stats},
          {"seed", o.seed ? json(*o.seed) : json()},
          {"system", o.system},
          {"perf", o.perf}};
}

TestOutcome OutcomeFromJson(const json& j) {
  TestOutcome o;
  if (!j.is_object()) {
    o.valid = "unknown";
    o.exit_code = 255;
    o.why = "no outcome was written";
    return o;
  }
  o.name = j.value("name", "");
  o.run_dir = j.value("run_dir", "");
  o.valid = j.value("valid", json("unknown"));
  o.expect = j.value("expect", "valid");
  o.exit_code = j.value("exit_code", 255);
  o.why = j.value("why", "");
  o.duration_s = j.value("duration_s", 0.0);
  o.stats = j.value("stats", json());
  if (j.contains("seed") && j["seed"].is_number_unsigned()) o.seed = j["seed"].get<uint64_t>();
  o.system = j.value("system", "");
  o.perf = j.value("perf", json());
  return o;
}

std::string InterruptedWhy(int sig, int64_t stopped_at_ns, int64_t time_limit_ns) {
  char why[256];
  snprintf(why, sizeof why,
           "interrupted%s%s after %.1f s of the %.0f s time limit: the run was stopped before "
           "its end, so no checker ran",
           sig ? " by " : "", sig ? SignalName(sig).c_str() : "", stopped_at_ns / 1e9,
           time_limit_ns / 1e9);
  return why;
}

std::string PlanFileForResults(const std::string& path) {
  const size_t at = path.rfind("plans/");
  return at == std::string::npos || (at > 0 && path[at - 1] != '/') ? path : path.substr(at);
}

json ResultsJson(const TestPlan& plan, uint64_t seed, const std::string& started,
                 const TestOutcome& outcome, const json& checkers) {
  json results = {{"valid", outcome.valid},
                  {"expected", plan.expect},
                  {"seed", seed},
                  {"test", plan.name},
                  {"system", plan.system},
                  {"started", started},
                  {"duration_s", outcome.duration_s},
                  {"checkers", checkers},
                  {"stats", outcome.stats},
                  {"nodes", plan.nodes},
                  {"workload", plan.workload.name},
                  {"placement", plan.workload.placement},
                  {"node_args", plan.node.args},
                  {"plan_file", PlanFileForResults(plan.source_file)}};
  if (!outcome.why.empty()) results["why"] = outcome.why;
  return results;
}

TestOutcome RecordUnrunnable(const TestPlan& plan, const std::string& store, const std::string& why,
                             int exit_code, const json& sweep) {
  TestOutcome o;
  o.name = plan.name;
  o.expect = plan.expect;
  o.valid = "unknown";
  o.why = why;
  o.exit_code = exit_code;
  o.seed = plan.seed;
  try {
    o.run_dir = MakeRunDir(store, plan.name);
    TestPlan p = plan;
    std::ofstream(o.run_dir + "/plan.yaml") << PlanToYaml(p);
    json r = {{"valid", "unknown"},
              {"expected", plan.expect},
              {"seed", plan.seed ? json(*plan.seed) : json()},
              {"test", plan.name},
              {"system", plan.system},
              {"node_args", plan.node.args},
              {"plan_file", PlanFileForResults(plan.source_file)},
              {"started", UtcStamp(SystemClock::Get().WallNanos(), false)},
              {"duration_s", 0},
              {"checkers", json::object()},
              {"stats", {{"ops", 0}, {"ok", 0}, {"fail", 0}, {"info", 0}}},
              {"why", why}};
    if (sweep.is_object()) r.update(sweep);
    WriteJsonFile(o.run_dir + "/results.json", r);
    (void)results::WriteReport(o.run_dir);
    PointLatest(store, o.run_dir);
    (void)results::WriteIndex(store);
  } catch (const std::exception& e) {
    SB_LOG(kError, "harness") << "cannot record the test: " << e.what();
  }
  return o;
}

// With two or more tests measured by the perf checker (plans/bench/etcd-vs-splitbrain.yaml):
// throughput and latency quantiles side by side, each as a ratio to the first such test.
std::string PerfComparison(const std::vector<TestOutcome>& outcomes) {
  std::vector<const TestOutcome*> measured;
  for (const auto& o : outcomes) {
    if (o.perf.is_object() && o.perf.contains("latency_ms")) measured.push_back(&o);
  }
  if (measured.size() < 2) return "";
  const TestOutcome& base = *measured.front();
  auto num = [](const json& perf, const char* q) {
    return q[0] == 'o' ? perf.value("ops_per_s", 0.0) : perf["latency_ms"].value(q, 0.0);
  };
  std::ostringstream out;
  char line[512];
  out << "\nperformance, ok operations only (x: this test / " << base.name << ")\n";
  snprintf(line, sizeof line, "%-32s %-10s %16s %16s %16s %16s %16s\n", "test", "system", "ops/s",
           "p50 ms", "p95 ms", "p99 ms", "max ms");
  out << line;
  for (const TestOutcome* o : measured) {
    std::string cells;
    for (const char* q : {"ops_per_s", "p50", "p95", "p99", "max"}) {
      const double v = num(o->perf, q), b = num(base.perf, q);
      char cell[64];
      snprintf(cell, sizeof cell, " %8.*f (%5.2fx)", q[0] == 'o' ? 0 : 2, v, b > 0 ? v / b : 0.0);
      cells += cell;
    }
    snprintf(line, sizeof line, "%-32s %-10s%s\n", o->name.c_str(), o->system.c_str(),
             cells.c_str());
    out << line;
  }
  return out.str();
}

}  // namespace splitbrain::harness

// RunChecker: the checkers by name, for the harness.
#include <filesystem>

#include "checker/checker.h"

namespace splitbrain::checker {

Result<CheckResult> RunChecker(const std::string& name, const CheckerInputs& in) {
  auto need_history = [&]() -> Status {
    if (!in.history) return Status::InvalidArgument("checker " + name + " needs a history");
    return Status::Ok();
  };
  // A history with no operations proves nothing: every checker that judges what operations
  // mean calls it unknown, never valid (linearizable says so itself, with its figures).
  const CheckerKind* kind = FindCheckerKind(name);
  if (kind && !kind->models.empty() && name != "linearizable") {
    if (in.history && in.history->ops.empty()) {
      CheckResult r;
      r.valid = Validity::kUnknown;
      r.json = {{"valid", ValidityJson(r.valid)},
                {"explanation",
                 "unknown: no operations: a history with no operations proves "
                 "nothing"}};
      return r;
    }
  }
  if (name == "linearizable") {
    SB_RETURN_IF_ERROR(need_history());
    LinearizableOptions o;
    o.model = in.model;
    o.budget = in.budget;
    return CheckLinearizable(*in.history, o);
  }
  if (name == "set") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckSet(*in.history);
  }
  if (name == "queue") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckQueue(*in.history);
  }
  if (name == "counter") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckCounter(*in.history);
  }
  if (name == "monotonic-reads") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckMonotonicReads(*in.history);
  }
  if (name == "bank") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckBank(*in.history, in.bank_total);
  }
  if (name == "lock") {
    SB_RETURN_IF_ERROR(need_history());
    return CheckLock(*in.history, in.budget);
  }
  if (name == "stats") return CheckStats(in.history);
  if (name == "perf") return CheckPerf(in.ok_latencies_ns, in.duration_ns);
  if (name == "raft-invariants") return CheckRaftInvariantsDir(in.run_dir, in.wall_origin_ns);
  if (name == "term-churn") {
    TermChurnOptions o = in.term_churn;
    if (o.wall_origin_ns == 0) o.wall_origin_ns = in.wall_origin_ns;
    return CheckTermChurnDir(in.run_dir, o);
  }
  if (name == "availability") {
    SB_RETURN_IF_ERROR(need_history());
    std::vector<FaultEvent> faults;
    auto path = std::filesystem::path(in.run_dir) / "nemesis.jsonl";
    if (!in.run_dir.empty() && std::filesystem::exists(path)) {
      SB_ASSIGN_OR_RETURN(faults, records::ReadFaultLog(path.string()));
    }
    return CheckAvailability(*in.history, faults, in.availability);
  }
  std::string names;
  for (const auto& n : CheckerNames()) names += (names.empty() ? "" : ", ") + n;
  return Status::InvalidArgument("unknown checker \"" + name + "\" (" + names + ")");
}

}  // namespace splitbrain::checker

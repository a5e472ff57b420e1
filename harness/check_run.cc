#include "harness/check_run.h"

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "checker/checker.h"
#include "checker/memory_budget.h"
#include "common/log.h"
#include "harness/run_clock.h"
#include "records/history_file.h"

namespace splitbrain::harness {
using nlohmann::json;

namespace {

// One checker on its own thread, waited for until its budget and `abandon_after_s` have passed.
json RunOne(const std::string& name, const CheckRunInputs& inputs,
            std::shared_ptr<Result<records::History>> history) {
  checker::CheckerInputs in;
  in.run_dir = inputs.run_dir;
  in.model = inputs.model;
  in.bank_total = inputs.bank_total;
  in.budget.timeout_s = inputs.budget_s;
  in.budget.threads = 2;
  // Never eat the machine: a hard history ends unknown, with the budget it ran out of.
  in.budget.max_memory_bytes = checker::DefaultMemoryBudgetBytes();
  in.availability.recovery_bound_ns = inputs.recovery_ns;
  in.term_churn.window_ns = inputs.term_churn_window_ns;
  in.term_churn.max_terms = inputs.term_churn_bound;
  in.wall_origin_ns = inputs.wall_origin_ns;
  // Every wait has a deadline: a checker that ignores its budget is abandoned (its thread
  // detached, holding its own references, its verdict unknown) rather than hanging the run.
  auto done = std::make_shared<std::promise<json>>();
  std::future<json> verdict = done->get_future();
  std::thread([history, in, name, done]() mutable {
    in.history = &**history;
    json out;
    try {
      auto res = checker::RunChecker(name, in);
      if (res.ok()) {
        out = res->json;
        if (!out.contains("valid")) out["valid"] = checker::ValidityJson(res->valid);
      } else {
        out = {{"valid", "unknown"}, {"explanation", res.status().ToString()}};
      }
    } catch (const std::exception& e) {
      out = {{"valid", "unknown"}, {"explanation", std::string("checker threw: ") + e.what()}};
    }
    done->set_value(out);
  }).detach();
  if (verdict.wait_for(std::chrono::seconds(inputs.budget_s + inputs.abandon_after_s)) ==
      std::future_status::ready) {
    return verdict.get();
  }
  return {{"valid", "unknown"},
          {"explanation", "the checker overran its " + std::to_string(inputs.budget_s) +
                              " s budget by " + std::to_string(inputs.abandon_after_s) +
                              " s and was abandoned"}};
}

}  // namespace

json RunCheckers(const CheckRunInputs& inputs) {
  json checkers = json::object();
  // Shared with checker threads that may outlive this call when they overrun their budget.
  auto history = inputs.history;
  if (!history) {
    history = std::make_shared<Result<records::History>>(
        records::ReadHistoryFile(inputs.run_dir + "/history.jsonl"));
  }
  for (const auto& name : inputs.checkers) {
    const int64_t t0 = MonoNow();
    json r;
    if (name == "stats") {
      r = checker::CheckStats(history->ok() ? &**history : nullptr).json;
    } else if (name == "perf") {
      r = checker::CheckPerf(inputs.latencies_ns, inputs.time_limit_ns).json;
    } else if (!history->ok()) {
      r = {{"valid", "unknown"}, {"explanation", history->status().ToString()}};
    } else {
      r = RunOne(name, inputs, history);
    }
    r["seconds"] = (MonoNow() - t0) / 1e9;
    SB_LOG(kInfo, "checker") << inputs.test << ": " << name << " -> " << r["valid"].dump();
    checkers[name] = r;
  }
  return checkers;
}

}  // namespace splitbrain::harness

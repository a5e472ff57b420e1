#include "harness/runner.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "common/rng.h"
#include "harness/check_run.h"
#include "harness/lab.h"
#include "harness/run_clock.h"
#include "harness/run_dir.h"
#include "harness/ssh_hosts.h"
#include "harness/systems/registry.h"
#include "harness/workers.h"
#include "nemesis/nemesis.h"
#include "nemesis/timeline.h"
#include "records/history_writer.h"
#include "records/reply.h"
#include "results/report.h"
#include "workloads/client.h"
#include "workloads/workload.h"

namespace splitbrain::harness {
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

// workload.burst's windows: `window_ns` after each planned fault start, end and heal.
std::vector<workloads::Window> BurstWindows(const std::vector<nemesis::TimelineStep>& steps,
                                            int64_t window_ns) {
  std::vector<workloads::Window> out;
  for (const auto& s : steps) out.push_back({s.at_ns, s.at_ns + window_ns});
  return out;
}

// One test, from the empty run directory to results.json: what happens when. The parts are
// elsewhere — the clients in Workers, the checkers in RunCheckers, results.json in summary.h.
class TestRun {
 public:
  TestRun(const TestPlan& plan, const RunOptions& opts)
      : plan_(plan), opts_(opts), clock_(opts.interrupted) {}

  TestOutcome Run();

 private:
  Status Setup();
  // The workload's clients, the nemesis and the status line, on one clock, to the time limit.
  void RunWorkload();
  void NemesisLoop(const std::vector<nemesis::TimelineStep>& steps, int64_t end_ns);
  void StatusLoop();
  std::vector<nemesis::TimelineStep> Timeline(Rng& timeline_rng) const;
  json Check();

  TestPlan plan_;
  RunOptions opts_;
  RunClock clock_;
  std::string run_dir_;
  uint64_t seed_ = 0;
  std::unique_ptr<NodeHosts> hosts_;  // the lab, or the plan's hosts over SSH
  std::unique_ptr<System> system_;
  std::unique_ptr<workloads::Workload> workload_;
  std::unique_ptr<records::HistoryWriter> history_;
  std::unique_ptr<Workers> workers_;
  std::ofstream nemesis_log_;
  std::unique_ptr<nemesis::Nemesis> nemesis_;
  std::string why_unknown_;
  int64_t stopped_at_ns_ = 0;  // run time when the clients stopped for a signal (0: before)
};

Status TestRun::Setup() {
  hosts_ = nullptr;
  if (plan_.hosts.empty()) {
    SB_ASSIGN_OR_RETURN(hosts_, Lab::Create(plan_.nodes, run_dir_));
  } else {
    SB_ASSIGN_OR_RETURN(hosts_, SshHosts::Connect(plan_, run_dir_));
  }
  const SystemAdapter* adapter = FindSystem(plan_.system);
  if (!adapter) return Status::Internal("no adapter for system '" + plan_.system + "'");
  system_ = adapter->make(SystemContext{hosts_.get(), plan_, run_dir_});
  SB_RETURN_IF_ERROR(system_->StartAll());
  auto leader = system_->WaitForLeader(milliseconds(20'000));
  if (!leader.ok()) return leader.status().WithContext("the cluster never elected a leader");
  SB_LOG(kInfo, "harness") << plan_.name << ": leader " << *leader;
  workloads::WorkloadConfig wc;
  wc.name = plan_.workload.name;
  wc.keys = plan_.workload.keys;
  wc.read_fraction = plan_.workload.read_fraction;
  wc.values = plan_.workload.values;
  wc.lock_ttl_ms = plan_.workload.lock_ttl_ns / 1'000'000;
  wc.lock_hold_ms = plan_.workload.lock_hold_ns / 1'000'000;
  wc.accounts = plan_.workload.accounts;
  wc.initial_balance = plan_.workload.initial_balance;
  SB_ASSIGN_OR_RETURN(workload_, workloads::MakeWorkload(wc));
  // Setup commands (bank accounts) before the clock starts: retried until applied.
  for (const auto& cmd : workload_->SetupCommands()) {
    auto c = system_->NewClient(0);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool done = false;
    while (!done && std::chrono::steady_clock::now() < end) {
      records::Reply r = c->Send(cmd, milliseconds(2000));
      // A bank-init refused by the state (409) found the accounts already there: an earlier
      // unknown attempt took effect.
      done = r.ok() || r.refusal == records::Refusal::kState;
    }
    if (!done) return Status::Unavailable("setup command " + cmd.dump() + " never succeeded");
  }
  return Status::Ok();
}

void TestRun::NemesisLoop(const std::vector<nemesis::TimelineStep>& steps, int64_t end_ns) {
  std::map<int, int> slot_to_id;
  for (const auto& s : steps) {
    if (s.at_ns >= end_ns) break;
    if (!clock_.SleepUntil(s.at_ns)) break;
    switch (s.kind) {
      case nemesis::TimelineStep::kStart: {
        auto id = nemesis_->Start(s.request);
        if (id.ok()) {
          slot_to_id[s.slot] = *id;
        } else {
          SB_LOG(kInfo, "nemesis") << s.request.kind << " skipped: " << id.status();
        }
        break;
      }
      case nemesis::TimelineStep::kEnd:
        if (slot_to_id.count(s.slot)) {
          Status st = nemesis_->End(slot_to_id[s.slot]);
          if (!st.ok()) {
            SB_LOG(kWarn, "nemesis") << "ending fault: " << st;
          }
        }
        break;
      case nemesis::TimelineStep::kHeal: {
        Status st = nemesis_->HealAll();
        if (!st.ok()) {
          SB_LOG(kWarn, "nemesis") << "heal: " << st;
        }
        break;
      }
    }
  }
}

void TestRun::StatusLoop() {
  int64_t last_ops = 0, last_t = 0;
  const double limit_s = plan_.time_limit_ns / 1e9;
  while (clock_.SleepUntil(last_t + (opts_.live_status ? 500'000'000 : 5'000'000'000))) {
    const int64_t now = clock_.Now();
    records::HistoryCounts c = history_->counts();
    const int64_t done = c.ok + c.fail + c.info;
    const double rate = (done - last_ops) / std::max(1e-9, (now - last_t) / 1e9);
    last_ops = done;
    last_t = now;
    history_->Flush();
    std::string faults;
    for (const auto& f : nemesis_->Active()) faults += (faults.empty() ? "" : ", ") + f;
    char line[512];
    snprintf(
        line, sizeof line,
        "%s  %5.1fs / %.0fs (%.0fs left)  %6.0f ops/s  ok %lld  fail %lld  info %lld  faults: %s",
        plan_.name.c_str(), now / 1e9, limit_s, std::max(0.0, limit_s - now / 1e9), rate,
        static_cast<long long>(c.ok), static_cast<long long>(c.fail),
        static_cast<long long>(c.info), faults.empty() ? "none" : faults.c_str());
    if (opts_.live_status) {
      std::cerr << "\r\033[K" << line << std::flush;
    } else {
      std::cerr << line << "\n";
    }
  }
  if (opts_.live_status) std::cerr << "\r\033[K" << std::flush;
}

std::vector<nemesis::TimelineStep> TestRun::Timeline(Rng& timeline_rng) const {
  if (!plan_.nemesis.schedule.empty()) {
    std::vector<nemesis::ScheduleEntry> entries;
    for (const auto& s : plan_.nemesis.schedule) {
      nemesis::ScheduleEntry e;
      e.at_ns = s.at_ns;
      e.duration_ns = s.duration_ns;
      e.request = s;  // the request part of the entry
      entries.push_back(e);
    }
    return nemesis::ExplicitTimeline(entries);
  }
  nemesis::MixSpec mix{plan_.nemesis.start_ns, plan_.nemesis.interval_ns, plan_.nemesis.duration_ns,
                       plan_.nemesis.faults};
  return nemesis::RandomTimeline(mix, plan_.time_limit_ns, timeline_rng);
}

void TestRun::RunWorkload() {
  // The run's seed, forked in this order: changing it changes every run's schedule.
  Rng root(seed_);
  Rng gen_rng = root.Fork();
  Rng stagger_rng = root.Fork();
  Rng nemesis_rng = root.Fork();
  Rng timeline_rng = root.Fork();

  clock_.StartNow();
  history_ =
      std::make_unique<records::HistoryWriter>(run_dir_ + "/history.jsonl", clock_.origin_ns());
  nemesis_log_.open(run_dir_ + "/nemesis.jsonl", std::ios::trunc);
  nemesis_ = std::make_unique<nemesis::Nemesis>(
      system_.get(), [this] { return clock_.Now(); }, &nemesis_log_, nemesis_rng);
  workers_ = std::make_unique<Workers>(*system_, *workload_, *history_, clock_);

  const auto& w = plan_.workload;
  const std::vector<nemesis::TimelineStep> steps = Timeline(timeline_rng);
  workloads::GenPtr g = workload_->MakeGenerator(gen_rng);
  if (w.rate > 0) {
    g = workloads::Stagger(static_cast<int64_t>(1e9 / w.rate), std::move(g), stagger_rng,
                           BurstWindows(steps, w.burst_window_ns), w.burst);
  }
  if (w.limit > 0) g = workloads::Limit(w.limit, std::move(g));
  g = workloads::TimeLimit(plan_.time_limit_ns, std::move(g));

  std::thread status([this] { StatusLoop(); });
  std::thread nem([this, &steps] { NemesisLoop(steps, plan_.time_limit_ns); });
  // Each worker ends within one op timeout after the time limit.
  workers_->Run(std::move(g), w.concurrency, milliseconds(w.op_timeout_ns / 1'000'000));
  clock_.Stop();
  nem.join();
  status.join();
}

json TestRun::Check() {
  CheckRunInputs in;
  in.test = plan_.name;
  in.checkers = plan_.checkers;
  in.run_dir = run_dir_;
  in.model = workloads::FindWorkloadKind(plan_.workload.name)->model;
  in.bank_total = workload_->BankTotal();
  in.recovery_ns = plan_.recovery_ns;
  in.term_churn_window_ns = plan_.term_churn_window_ns;
  in.term_churn_bound = plan_.term_churn_bound;
  in.time_limit_ns = plan_.time_limit_ns;
  if (workers_) in.latencies_ns = workers_->Latencies();
  // The event logs' clock is CLOCK_REALTIME; the history's and the fault log's is ns since the
  // run clock's origin: the wall time of that origin lets term-churn line them up.
  in.wall_origin_ns = SystemClock::Get().WallNanos() - clock_.Now();
  return RunCheckers(in);
}

TestOutcome TestRun::Run() {
  TestOutcome out;
  out.name = plan_.name;
  out.expect = plan_.expect;
  const int64_t wall_start = SystemClock::Get().WallNanos();
  const int64_t mono_start = MonoNow();
  seed_ = plan_.seed
              ? *plan_.seed
              : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  plan_.seed = seed_;
  try {
    run_dir_ = MakeRunDir(opts_.store, plan_.name);
  } catch (const std::exception& e) {
    out.exit_code = 255;
    out.valid = "unknown";
    out.why = std::string("cannot create the run directory: ") + e.what();
    return out;
  }
  out.run_dir = run_dir_;
  std::ofstream(run_dir_ + "/plan.yaml") << PlanToYaml(plan_);
  PointLatest(opts_.store, run_dir_);  // the newest run, even while it is running
  SB_LOG(kInfo, "harness") << plan_.name << ": seed " << seed_ << ", run " << run_dir_;

  json checkers = json::object();
  json valid = "unknown";
  bool harness_failed = false;
  try {
    Status s = Setup();
    if (!s.ok()) {
      why_unknown_ = s.ToString();
      harness_failed = s.code() == StatusCode::kInternal;
    } else {
      RunWorkload();
      if (clock_.Interrupted()) stopped_at_ns_ = clock_.Now();
      // Heal everything, whatever the nemesis left, then let the cluster recover.
      Status h = nemesis_->HealAll();
      if (!h.ok()) {
        SB_LOG(kWarn, "harness") << "heal: " << h;
      }
    }
    // A stopped run neither waits for recovery nor reads: it only cleans up and says so.
    if (s.ok() && !clock_.Interrupted()) {
      Status r = system_->Recover();
      if (!r.ok()) {
        SB_LOG(kWarn, "harness") << "recover: " << r;
      }
      // The final reads ask at once (retrying until a leader answers) rather than after a wait
      // for a leader: the availability checker judges recovery from the first ask after the
      // heal, so the system is asked as soon as it is whole again. They get the budget the
      // leader wait and the reads had together.
      workers_->FinalReads(2 * plan_.recovery_ns);
      history_->Flush();
    }
  } catch (const std::exception& e) {
    why_unknown_ = std::string("harness failure: ") + e.what();
    harness_failed = true;
  }
  // Whatever happened: faults undone, nodes stopped (their last status saved).
  if (nemesis_) (void)nemesis_->HealAll();
  if (system_) (void)system_->StopAll(milliseconds(3000));
  nemesis_log_.close();
  if (history_) history_->Flush();

  records::HistoryCounts counts = history_ ? history_->counts() : records::HistoryCounts{};
  if (clock_.Interrupted()) {
    const int sig = opts_.interrupt_signal ? opts_.interrupt_signal->load() : 0;
    const std::string why = InterruptedWhy(sig, stopped_at_ns_, plan_.time_limit_ns);
    // Whatever else went wrong is kept after it.
    why_unknown_ = why_unknown_.empty() ? why : why + "; " + why_unknown_;
  }
  if (why_unknown_.empty()) {
    checkers = Check();
    valid = VerdictOfCheckers(checkers, &why_unknown_);
  }
  if (!why_unknown_.empty() && valid != false) valid = "unknown";

  out.duration_s = (MonoNow() - mono_start) / 1e9;
  out.stats = RunStats(counts.invokes, counts.ok, counts.fail, counts.info, plan_.time_limit_ns,
                       nemesis_ ? nemesis_->started() : 0);
  out.valid = valid;
  out.why = why_unknown_;
  out.system = plan_.system;
  out.seed = seed_;
  json results = ResultsJson(plan_, seed_, UtcStamp(wall_start, false), out, checkers);
  if (opts_.sweep.is_object()) results.update(opts_.sweep);
  WriteJsonFile(run_dir_ + "/results.json", results);
  Status rep = results::WriteReport(run_dir_);
  if (!rep.ok()) {
    SB_LOG(kWarn, "harness") << "report: " << rep;
  }
  PointLatest(opts_.store, run_dir_);
  Status idx = results::WriteIndex(opts_.store);
  if (!idx.ok()) {
    SB_LOG(kWarn, "harness") << "index: " << idx;
  }

  if (checkers.contains("perf")) out.perf = checkers["perf"];
  out.exit_code = harness_failed ? 255 : ExitCodeFor(valid, plan_.expect);
  return out;
}

}  // namespace

TestOutcome RunTest(const TestPlan& plan, const RunOptions& options) {
  TestRun run(plan, options);
  return run.Run();
}

}  // namespace splitbrain::harness

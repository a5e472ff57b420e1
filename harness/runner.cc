#include "harness/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "checker/checker.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/rng.h"
#include "harness/lab.h"
#include "harness/systems/registry.h"
#include "nemesis/nemesis.h"
#include "nemesis/timeline.h"
#include "records/history_file.h"
#include "records/history_writer.h"
#include "records/reply.h"
#include "results/report.h"
#include "workloads/client.h"
#include "workloads/workload.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

int64_t MonoNow() { return SystemClock::Get().MonotonicNanos(); }

std::string UtcStamp(int64_t wall_ns, bool for_path) {
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  strftime(buf, sizeof buf, for_path ? "%Y%m%dT%H%M%S" : "%Y-%m-%dT%H:%M:%S", &t);
  char out[80];
  snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>((wall_ns / 1'000'000) % 1000));
  return out;
}

void WriteJsonFile(const std::string& path, const json& j) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

// store/<test>/<UTC timestamp>/, unique even when two runs start in the same millisecond.
std::string MakeRunDir(const std::string& store, const std::string& test) {
  const std::string base =
      store + "/" + test + "/" + UtcStamp(SystemClock::Get().WallNanos(), true);
  std::string dir = base;
  for (int i = 1; fs::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  fs::create_directories(dir + "/nodes");
  return dir;
}

void PointLatest(const std::string& store, const std::string& run_dir) {
  std::error_code ec;
  const fs::path rel = fs::relative(run_dir, store, ec);
  if (ec) return;
  const fs::path tmp = fs::path(store) / (".latest-" + std::to_string(getpid()));
  fs::remove(tmp, ec);
  fs::create_directory_symlink(rel, tmp, ec);
  if (!ec) fs::rename(tmp, fs::path(store) / "latest", ec);
}

json Combine(const json& a, const json& b) {
  if (a == false || b == false) return false;
  if (a == "unknown" || b == "unknown") return "unknown";
  return true;
}

std::string SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGQUIT:
      return "SIGQUIT";
    default:
      return "signal " + std::to_string(sig);
  }
}

constexpr int kCheckerBudgetS = 60;  // each checker's own budget; unknown when it runs out

}  // namespace

int ExitCodeFor(const json& valid, const std::string& expect) {
  if (valid == "unknown" || valid.is_null()) return 2;
  const bool found_anomaly = valid == false;
  return found_anomaly == (expect == "invalid") ? 0 : 1;
}

TestOutcome RecordUnrunnable(const TestPlan& plan, const std::string& store, const std::string& why,
                             int exit_code) {
  TestOutcome o;
  o.name = plan.name;
  o.expect = plan.expect;
  o.valid = "unknown";
  o.why = why;
  o.exit_code = exit_code;
  try {
    o.run_dir = MakeRunDir(store, plan.name);
    TestPlan p = plan;
    std::ofstream(o.run_dir + "/plan.yaml") << PlanToYaml(p);
    json r = {{"valid", "unknown"},
              {"expected", plan.expect},
              {"seed", plan.seed ? json(*plan.seed) : json()},
              {"test", plan.name},
              {"started", UtcStamp(SystemClock::Get().WallNanos(), false)},
              {"duration_s", 0},
              {"checkers", json::object()},
              {"stats", {{"ops", 0}, {"ok", 0}, {"fail", 0}, {"info", 0}}},
              {"why", why}};
    WriteJsonFile(o.run_dir + "/results.json", r);
    (void)results::WriteReport(o.run_dir);
    PointLatest(store, o.run_dir);
    (void)results::WriteIndex(store);
  } catch (const std::exception& e) {
    SB_LOG(kError, "harness") << "cannot record the test: " << e.what();
  }
  return o;
}

namespace {

// One test, from the empty run directory to results.json.
class TestRun {
 public:
  TestRun(const TestPlan& plan, const RunOptions& opts) : plan_(plan), opts_(opts) {}

  TestOutcome Run();

 private:
  Status Setup();
  void RunWorkload();
  void Worker(int slot);
  // Records one operation of `st.process`: its invocation, what `client` made of it, its
  // completion; ok latencies go to `latencies` when given.
  workloads::Completion RunOp(workloads::Client& client, workloads::ProcessState& st,
                              const workloads::Op& op, milliseconds timeout,
                              std::vector<int64_t>* latencies);
  void NemesisLoop(const std::vector<nemesis::TimelineStep>& steps, int64_t end_ns);
  void StatusLoop();
  void FinalReads();
  json Check();
  bool Interrupted() const { return opts_.interrupted && opts_.interrupted->load(); }
  // Sleeps until `t_ns` on the run's clock or until stop_; false when stopped.
  bool SleepUntil(int64_t t_ns);

  TestPlan plan_;
  RunOptions opts_;
  std::string run_dir_;
  uint64_t seed_ = 0;
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<System> system_;
  std::unique_ptr<workloads::Workload> workload_;
  std::unique_ptr<records::HistoryWriter> history_;
  std::ofstream nemesis_log_;
  std::unique_ptr<nemesis::Nemesis> nemesis_;
  int64_t origin_ns_ = 0;

  std::mutex gen_mu_;
  workloads::GenPtr gen_;     // GUARDED_BY(gen_mu_)
  int in_flight_ = 0;         // GUARDED_BY(gen_mu_)
  int64_t next_process_ = 0;  // GUARDED_BY(gen_mu_)

  std::mutex lat_mu_;
  std::vector<int64_t> latencies_ns_;  // ok operations; GUARDED_BY(lat_mu_)

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(stop_mu_)
  std::string why_unknown_;
  int64_t stopped_at_ns_ = 0;  // run time when the clients stopped for a signal (0: before)
};

bool TestRun::SleepUntil(int64_t t_ns) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_ && !Interrupted()) {
    const int64_t now = MonoNow() - origin_ns_;
    if (now >= t_ns) return true;
    stop_cv_.wait_for(lock, std::chrono::nanoseconds(std::min<int64_t>(t_ns - now, 100'000'000)));
  }
  return false;
}

Status TestRun::Setup() {
  lab_ = nullptr;
  SB_ASSIGN_OR_RETURN(lab_, Lab::Create(plan_.nodes, run_dir_));
  const SystemAdapter* adapter = FindSystem(plan_.system);
  if (!adapter) return Status::Internal("no adapter for system '" + plan_.system + "'");
  system_ = adapter->make(SystemContext{lab_.get(), plan_, run_dir_});
  SB_RETURN_IF_ERROR(system_->StartAll());
  auto leader = system_->WaitForLeader(milliseconds(20'000));
  if (!leader.ok()) return leader.status().WithContext("the cluster never elected a leader");
  SB_LOG(kInfo, "harness") << plan_.name << ": leader " << *leader;
  workloads::WorkloadConfig wc;
  wc.name = plan_.workload.name;
  wc.keys = plan_.workload.keys;
  wc.read_fraction = plan_.workload.read_fraction;
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

workloads::Completion TestRun::RunOp(workloads::Client& client, workloads::ProcessState& st,
                                     const workloads::Op& op, milliseconds timeout,
                                     std::vector<int64_t>* latencies) {
  const int64_t t0 = history_->Invoke(st.process, op.f, op.key, op.value);
  workloads::Completion c = client.Execute(*workload_, op, st, timeout);
  const int64_t t1 = history_->Complete(st.process, op.f, op.key, c.outcome, c.value, c.node);
  if (c.outcome == records::Outcome::kOk && latencies) latencies->push_back(t1 - t0);
  return c;
}

void TestRun::Worker(int slot) {
  std::unique_ptr<workloads::Client> client = system_->NewClient(static_cast<size_t>(slot));
  workloads::ProcessState st;
  st.process = slot;
  const milliseconds timeout(plan_.workload.op_timeout_ns / 1'000'000);
  std::vector<int64_t> lat;
  while (!Interrupted()) {
    workloads::Op op;
    {
      std::unique_lock<std::mutex> lock(gen_mu_);
      workloads::Context ctx{MonoNow() - origin_ns_, st.process, in_flight_};
      workloads::GenResult r = gen_->Next(ctx);
      if (r.kind == workloads::GenResult::kExhausted) break;
      if (r.kind == workloads::GenResult::kPending) {
        lock.unlock();
        SleepUntil(std::min(r.wake_ns, ctx.time_ns + 50'000'000));
        continue;
      }
      op = std::move(r.op);
      workload_->Prepare(op, st);
      ++in_flight_;
    }
    workloads::Completion c = RunOp(*client, st, op, timeout, &lat);
    // A lock holder keeps its lock a while before it releases it.
    if (const int64_t hold = workload_->HoldAfterNs(op, c.outcome); hold > 0) {
      SleepUntil(MonoNow() - origin_ns_ + hold);
    }
    {
      std::lock_guard<std::mutex> lock(gen_mu_);
      --in_flight_;
      if (c.outcome == records::Outcome::kUnknown) {
        // Jepsen: a process whose operation is indeterminate never invokes again; a fresh
        // process id takes its place (and a fresh connection).
        st = workloads::ProcessState();
        st.process = next_process_++;
        client = system_->NewClient(static_cast<size_t>(slot));
      }
    }
  }
  // A process still holding something when the run ends (a lock) lets go of it, as a client
  // that shuts down cleanly does, so that the holder does not just vanish and its lease or TTL
  // hand the lock to a waiter behind its back. Recorded like any operation.
  for (const workloads::Op& op : workload_->CleanupOps(st)) {
    if (Interrupted()) break;
    RunOp(*client, st, op, timeout, &lat);
  }
  std::lock_guard<std::mutex> lock(lat_mu_);
  latencies_ns_.insert(latencies_ns_.end(), lat.begin(), lat.end());
}

void TestRun::NemesisLoop(const std::vector<nemesis::TimelineStep>& steps, int64_t end_ns) {
  std::map<int, int> slot_to_id;
  for (const auto& s : steps) {
    if (s.at_ns >= end_ns) break;
    if (!SleepUntil(s.at_ns)) break;
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
  while (SleepUntil(last_t + (opts_.live_status ? 500'000'000 : 5'000'000'000))) {
    const int64_t now = MonoNow() - origin_ns_;
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

void TestRun::RunWorkload() {
  Rng root(seed_);
  Rng gen_rng = root.Fork();
  Rng stagger_rng = root.Fork();
  Rng nemesis_rng = root.Fork();
  Rng timeline_rng = root.Fork();

  origin_ns_ = MonoNow();
  history_ = std::make_unique<records::HistoryWriter>(run_dir_ + "/history.jsonl", origin_ns_);
  nemesis_log_.open(run_dir_ + "/nemesis.jsonl", std::ios::trunc);
  nemesis_ = std::make_unique<nemesis::Nemesis>(
      system_.get(), [this] { return MonoNow() - origin_ns_; }, &nemesis_log_, nemesis_rng);

  const auto& w = plan_.workload;
  workloads::GenPtr g = workload_->MakeGenerator(gen_rng);
  if (w.rate > 0)
    g = workloads::Stagger(static_cast<int64_t>(1e9 / w.rate), std::move(g), stagger_rng);
  if (w.limit > 0) g = workloads::Limit(w.limit, std::move(g));
  gen_ = workloads::TimeLimit(plan_.time_limit_ns, std::move(g));
  next_process_ = w.concurrency;

  std::vector<nemesis::TimelineStep> steps;
  if (!plan_.nemesis.schedule.empty()) {
    std::vector<nemesis::ScheduleEntry> entries;
    for (const auto& s : plan_.nemesis.schedule) {
      nemesis::ScheduleEntry e;
      e.at_ns = s.at_ns;
      e.duration_ns = s.duration_ns;
      e.request = {s.fault, s.targets, s.from, s.to, s.loss, s.skew_ns};
      entries.push_back(e);
    }
    steps = nemesis::ExplicitTimeline(entries);
  } else {
    nemesis::MixSpec mix{plan_.nemesis.start_ns, plan_.nemesis.interval_ns,
                         plan_.nemesis.duration_ns, plan_.nemesis.faults};
    steps = nemesis::RandomTimeline(mix, plan_.time_limit_ns, timeline_rng);
  }

  std::thread status([this] { StatusLoop(); });
  std::thread nem([this, &steps] { NemesisLoop(steps, plan_.time_limit_ns); });
  std::vector<std::thread> workers;
  for (int i = 0; i < w.concurrency; ++i) workers.emplace_back([this, i] { Worker(i); });
  for (auto& t : workers) t.join();  // each ends within one op timeout after the time limit
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  nem.join();
  status.join();
}

void TestRun::FinalReads() {
  const auto ops = workload_->FinalReads();
  if (ops.empty()) return;
  const int64_t deadline = MonoNow() + plan_.recovery_ns;
  std::unique_ptr<workloads::Client> client = system_->NewClient(0);
  int64_t process = next_process_;
  for (const auto& op0 : ops) {
    while (MonoNow() < deadline && !Interrupted()) {
      workloads::ProcessState st;
      st.process = process;
      auto c = RunOp(*client, st, op0, milliseconds(2000), nullptr);
      if (c.outcome == records::Outcome::kUnknown) {
        process++;
        client = system_->NewClient(0);
      }
      if (c.outcome == records::Outcome::kOk) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  next_process_ = process + 1;
}

json TestRun::Check() {
  json checkers = json::object();
  const std::string history_path = run_dir_ + "/history.jsonl";
  // Shared with checker threads that may outlive this call when they overrun their budget.
  auto history = std::make_shared<Result<records::History>>(records::ReadHistoryFile(history_path));
  for (const auto& name : plan_.checkers) {
    const int64_t t0 = MonoNow();
    json r;
    if (name == "stats") {
      r = checker::CheckStats(history->ok() ? &**history : nullptr).json;
    } else if (name == "perf") {
      std::lock_guard<std::mutex> lock(lat_mu_);
      r = checker::CheckPerf(latencies_ns_, plan_.time_limit_ns).json;
    } else if (!history->ok()) {
      r = {{"valid", "unknown"}, {"explanation", history->status().ToString()}};
    } else {
      checker::CheckerInputs in;
      in.run_dir = run_dir_;
      in.model = workload_->Model();
      in.bank_total = workload_->BankTotal();
      in.budget.timeout_s = kCheckerBudgetS;
      in.budget.threads = 2;
      in.availability.recovery_bound_ns = plan_.recovery_ns;
      // The event logs' clock is CLOCK_REALTIME; the history's and the fault log's is ns since
      // origin_ns_: the wall time of that origin lets term-churn line them up.
      in.wall_origin_ns = SystemClock::Get().WallNanos() - (MonoNow() - origin_ns_);
      // Every wait has a deadline: a checker that ignores its budget is abandoned (its thread
      // detached, its verdict unknown) rather than hanging the run.
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
      if (verdict.wait_for(std::chrono::duration<double>(kCheckerBudgetS + 30)) ==
          std::future_status::ready) {
        r = verdict.get();
      } else {
        r = {{"valid", "unknown"},
             {"explanation", "the checker overran its " + std::to_string(kCheckerBudgetS) +
                                 " s budget by 30 s and was abandoned"}};
      }
    }
    r["seconds"] = (MonoNow() - t0) / 1e9;
    SB_LOG(kInfo, "checker") << plan_.name << ": " << name << " -> " << r["valid"].dump();
    checkers[name] = r;
  }
  return checkers;
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
      if (Interrupted()) stopped_at_ns_ = MonoNow() - origin_ns_;
      // Heal everything, whatever the nemesis left, then let the cluster recover.
      Status h = nemesis_->HealAll();
      if (!h.ok()) {
        SB_LOG(kWarn, "harness") << "heal: " << h;
      }
    }
    // A stopped run neither waits for recovery nor reads: it only cleans up and says so.
    if (s.ok() && !Interrupted()) {
      Status r = system_->Recover();
      if (!r.ok()) {
        SB_LOG(kWarn, "harness") << "recover: " << r;
      }
      auto leader = system_->WaitForLeader(milliseconds(plan_.recovery_ns / 1'000'000));
      if (!leader.ok()) {
        SB_LOG(kWarn, "harness") << "no leader after healing: " << leader.status();
      }
      FinalReads();
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
  if (Interrupted()) {
    const int sig = opts_.interrupt_signal ? opts_.interrupt_signal->load() : 0;
    char why[256];
    snprintf(why, sizeof why,
             "interrupted%s%s after %.1f s of the %.0f s time limit: the run was stopped before "
             "its end, so no checker ran",
             sig ? " by " : "", sig ? SignalName(sig).c_str() : "", stopped_at_ns_ / 1e9,
             plan_.time_limit_ns / 1e9);
    // Whatever else went wrong is kept after it.
    why_unknown_ = why_unknown_.empty() ? why : std::string(why) + "; " + why_unknown_;
  }
  if (why_unknown_.empty()) {
    checkers = Check();
    valid = true;
    for (auto& [name, r] : checkers.items()) valid = Combine(valid, r["valid"]);
    if (valid == "unknown") {
      for (auto& [name, r] : checkers.items()) {
        if (r["valid"] == "unknown")
          why_unknown_ += name + ": " + r.value("explanation", std::string("unknown")) + "; ";
      }
    }
  }
  if (!why_unknown_.empty() && valid != false) valid = "unknown";

  out.duration_s = (MonoNow() - mono_start) / 1e9;
  out.stats = {{"ops", counts.invokes},
               {"ok", counts.ok},
               {"fail", counts.fail},
               {"info", counts.info},
               {"ops_per_s", counts.invokes / std::max(1e-9, plan_.time_limit_ns / 1e9)},
               {"faults", nemesis_ ? nemesis_->started() : 0}};
  json results = {{"valid", valid},
                  {"expected", plan_.expect},
                  {"seed", seed_},
                  {"test", plan_.name},
                  {"system", plan_.system},
                  {"started", UtcStamp(wall_start, false)},
                  {"duration_s", out.duration_s},
                  {"checkers", checkers},
                  {"stats", out.stats},
                  {"nodes", plan_.nodes},
                  {"workload", plan_.workload.name},
                  {"placement", plan_.workload.placement},
                  {"node_args", plan_.node.args}};
  if (!why_unknown_.empty()) results["why"] = why_unknown_;
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

  out.valid = valid;
  out.why = why_unknown_;
  out.system = plan_.system;
  if (checkers.contains("perf")) out.perf = checkers["perf"];
  out.exit_code = harness_failed ? 255 : ExitCodeFor(valid, plan_.expect);
  return out;
}

}  // namespace

// With two or more tests measured by the perf checker (plans/bench/etcd-vs-splitbrain.yaml):
// throughput and latency quantiles side by side, each as a ratio to the first such test.
std::string PerfComparison(const std::vector<TestOutcome>& outcomes) {
  std::vector<const TestOutcome*> measured;
  for (const auto& o : outcomes) {
    if (o.perf.is_object() && o.perf.contains("latency_ms")) measured.push_back(&o);
  }
  if (measured.size() < 2) return "";
  const TestOutcome& base = *measured.front();
  auto num = [](const nlohmann::json& perf, const char* q) {
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

TestOutcome RunTest(const TestPlan& plan, const RunOptions& options) {
  TestRun run(plan, options);
  return run.Run();
}

}  // namespace splitbrain::harness

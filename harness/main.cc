// splitbrain: the controller's command line (DESIGN.md "Commands and exit codes").
//   splitbrain run PLAN.yaml [--store DIR] [--seed N | --seeds A..B] [--shard K/N] [--jobs J]
//                  [--time-limit DURATION] [--node-binary PATH] [--hosts FILE]
//   splitbrain check ...            (checker/check_command.h)
//   splitbrain report STORE         (results/report.h)
//   splitbrain merge STORE... --into DIR   (results/merge.h)
// `run` validates the whole plan, then re-executes itself inside a private lab (lab.h) and runs
// each test; the process the user started stays outside, forwards stop signals to it and exits
// with its code. A plan with `hosts:` (or --hosts FILE) runs here instead, against real machines
// over SSH (ssh_hosts.h). Exit: 0 every test as expected, 1 some not, 2 unknown (a stopped run
// included), 255 the harness failed (a bad plan or command line, a harness killed).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "checker/check_command.h"
#include "common/log.h"
#include "harness/jobs.h"
#include "harness/lab.h"
#include "harness/plan.h"
#include "harness/run_dir.h"
#include "harness/runner.h"
#include "harness/shard.h"
#include "harness/shrink/shrink_command.h"
#include "harness/sim/sim_command.h"
#include "harness/subprocess.h"
#include "harness/systems/registry.h"
#include "results/merge.h"
#include "results/report.h"

namespace splitbrain::harness {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_interrupt_signal{0};

void OnSignal(int sig) {
  g_interrupt_signal.store(sig);
  g_interrupted.store(true);
}

constexpr char kUsage[] =
    "usage: splitbrain run PLAN.yaml [--store DIR] [--seed N | --seeds A..B] [--shard K/N]\n"
    "                      [--jobs J] [--time-limit DURATION] [--node-binary PATH]\n"
    "                      [--hosts FILE]\n"
    "                      [--log-level debug|info|warn|error]\n"
    "       splitbrain check [--model MODEL] HISTORY... [--json] [--timeout SECONDS] ...\n"
    "       splitbrain sim PLAN.yaml [--seed S | --seeds A..B] [--store DIR] [--keep-all]\n"
    "       splitbrain shrink RUN_DIR [--runs N] [--out FILE] [--store DIR]\n"
    "       splitbrain report STORE\n"
    "       splitbrain merge STORE... --into DIR\n"
    "       splitbrain COMMAND --help   (every flag of a command)\n";

constexpr char kHelp[] =
    "splitbrain: a Jepsen-style fault-injection test harness for Raft key-value stores.\n"
    "\n"
    "commands:\n"
    "  run PLAN.yaml    run every test of a plan in a private lab of namespaces: nodes, clients,\n"
    "                   nemesis, checkers; each run is written to STORE/<test>/<timestamp>/\n"
    "  check HISTORY    check a recorded history (JSONL or Jepsen EDN) for linearizability\n"
    "  sim PLAN.yaml    run a plan in deterministic simulation (harness/sim/README.md)\n"
    "  shrink RUN_DIR   search for a smaller fault schedule that still fails\n"
    "                   (harness/shrink/README.md)\n"
    "  report STORE     regenerate every run's report.html and junit.xml, and STORE/index.html\n"
    "  merge STORE... --into DIR\n"
    "                   join the stores of several machines (CI shards) into DIR, with one\n"
    "                   index.html and one junit.xml; exits as run would over all the runs\n"
    "\n"
    "exit codes (run, and merge over the runs it joins; check and report say theirs in their\n"
    "--help):\n"
    "  0    every test came out as its plan expects (valid, or invalid for expect: invalid)\n"
    "  1    some test did not\n"
    "  2    unknown: a checker ran out of budget, the machine cannot do what the plan asks, or\n"
    "       the run was stopped (SIGINT, SIGTERM, SIGHUP or SIGQUIT)\n"
    "  255  the harness failed: a bad plan or command line, unreadable input, or a harness that\n"
    "       died (killed by a signal)\n"
    "\n"
    "`splitbrain COMMAND --help` lists every flag of a command.\n"
    "docs: README.md (runs, exit codes, signals), plans/README.md (every plan field, fault and\n"
    "target), results/README.md (the store and the report) in splitbrain's source tree.\n";

constexpr char kRunHelp[] =
    "usage: splitbrain run PLAN.yaml [flags]\n"
    "\n"
    "Validates the whole plan (a mistake is FILE:LINE:COLUMN: field: what was expected, and\n"
    "nothing starts), then runs each test in a private lab and writes its run store:\n"
    "STORE/<test>/<UTC timestamp>/{plan.yaml,history.jsonl,nemesis.jsonl,nodes/,results.json,\n"
    "report.html,junit.xml}, STORE/latest and STORE/index.html.\n"
    "\n"
    "flags:\n"
    "  --store DIR          where runs are written (default: store)\n"
    "  --seed N             the seed of every random choice (reproduces a run's schedule;\n"
    "                       default: the plan's, else a fresh one, written to plan.yaml)\n"
    "  --seeds A..B         run each test once per seed A, A+1, ..., B (not with --seed)\n"
    "  --shard K/N          run only the K-th of N slices (1 <= K <= N) of the plan's\n"
    "                       (test, seed) pairs: pair i, in plan order and then seed order,\n"
    "                       goes to shard (i mod N)+1, so N machines given 1/N .. N/N run\n"
    "                       every pair exactly once; an empty slice runs nothing, exit 0.\n"
    "                       results.json records shard and seeds; `splitbrain merge` joins\n"
    "                       the stores\n"
    "  --jobs J             run J tests at once (default 1), each in a lab of its own; one\n"
    "                       status line per test as it ends, then the summary as usual\n"
    "  --time-limit DURATION\n"
    "                       override every test's time-limit (30s, 500ms, 2m, 1h; a bare\n"
    "                       number is seconds)\n"
    "  --hosts FILE         run every test on real hosts over SSH (a YAML list as the plan's\n"
    "                       hosts:, one host per node; plans/README.md \"Real clusters\")\n"
    "  --node-binary PATH   the splitbrain-node to run (default: next to this program)\n"
    "  --log-level LEVEL    debug, info, warn or error (default: info)\n"
    "  -h, --help           this text\n"
    "\n"
    "stopping: SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT sent to this process stops the run\n"
    "within seconds: clients and nemesis stop, faults are healed, nodes stopped; history.jsonl,\n"
    "results.json (valid: unknown, why: interrupted), report.html and junit.xml are written,\n"
    "later tests are not started, and the exit code is 2. SIGKILL leaves nothing running (the\n"
    "kernel removes the lab) but writes no results.\n"
    "\n"
    "exit codes:\n"
    "  0    every test came out as its plan expects\n"
    "  1    some test did not (an anomaly where none was expected, or none where one was)\n"
    "  2    unknown: a checker ran out of budget, the machine cannot do what the plan asks, or\n"
    "       the run was stopped by a signal\n"
    "  255  the harness failed: a bad plan or command line, or a harness killed by a signal\n"
    "\n"
    "docs: README.md and plans/README.md in splitbrain's source tree.\n";

// More labs at once than this is refused: each holds a cluster of processes.
constexpr uint64_t kMaxJobs = 64;

struct RunArgs {
  std::string plan;
  std::string store = "store";
  std::optional<uint64_t> seed;
  std::optional<SeedRange> seeds;  // --seeds A..B
  std::optional<Shard> shard;      // --shard K/N
  int jobs = 1;                    // --jobs J
  // Internal, from a --jobs parent (jobs.h): run only the I-th pair of this machine's slice and
  // write its outcome to this file.
  std::optional<size_t> pair;
  std::string outcome_file;
  std::optional<int64_t> time_limit_ns;
  std::string node_binary;
  std::string hosts_file;  // --hosts FILE: every test runs on these hosts over SSH
  bool help = false;
};

Result<RunArgs> ParseRunArgs(const std::vector<std::string>& a) {
  RunArgs r;
  for (size_t i = 0; i < a.size(); ++i) {
    auto value = [&](const std::string& flag) -> Result<std::string> {
      if (i + 1 >= a.size()) return Status::InvalidArgument(flag + " needs a value");
      return a[++i];
    };
    if (a[i] == "--store") {
      SB_ASSIGN_OR_RETURN(r.store, value("--store"));
    } else if (a[i] == "--seed") {
      SB_ASSIGN_OR_RETURN(auto v, value("--seed"));
      try {
        size_t pos = 0;
        r.seed = std::stoull(v, &pos);
        if (pos != v.size() || v[0] == '-') throw std::invalid_argument(v);
      } catch (const std::exception&) {
        return Status::InvalidArgument("--seed '" + v + "' is not a non-negative integer");
      }
    } else if (a[i] == "--seeds") {
      SB_ASSIGN_OR_RETURN(auto v, value("--seeds"));
      SB_ASSIGN_OR_RETURN(r.seeds, ParseSeedRange(v));
    } else if (a[i] == "--shard") {
      SB_ASSIGN_OR_RETURN(auto v, value("--shard"));
      SB_ASSIGN_OR_RETURN(r.shard, ParseShard(v));
    } else if (a[i] == "--jobs") {
      SB_ASSIGN_OR_RETURN(auto v, value("--jobs"));
      uint64_t j = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), j);
      if (ec != std::errc() || end != v.data() + v.size() || j < 1 || j > kMaxJobs) {
        return Status::InvalidArgument("--jobs '" + v + "': expected a whole number from 1 to " +
                                       std::to_string(kMaxJobs));
      }
      r.jobs = static_cast<int>(j);
    } else if (a[i] == "--pair") {
      SB_ASSIGN_OR_RETURN(auto v, value("--pair"));
      uint64_t p = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
      if (ec != std::errc() || end != v.data() + v.size())
        return Status::InvalidArgument("--pair '" + v + "' is not a pair number");
      r.pair = static_cast<size_t>(p);
    } else if (a[i] == "--outcome-file") {
      SB_ASSIGN_OR_RETURN(r.outcome_file, value("--outcome-file"));
    } else if (a[i] == "--time-limit") {
      SB_ASSIGN_OR_RETURN(auto v, value("--time-limit"));
      auto d = ParseDuration(v);
      if (!d.ok() || *d <= 0)
        return Status::InvalidArgument("--time-limit '" + v + "' is not a duration");
      r.time_limit_ns = *d;
    } else if (a[i] == "--node-binary") {
      SB_ASSIGN_OR_RETURN(r.node_binary, value("--node-binary"));
    } else if (a[i] == "--hosts") {
      SB_ASSIGN_OR_RETURN(r.hosts_file, value("--hosts"));
    } else if (a[i] == "--log-level") {
      SB_ASSIGN_OR_RETURN(auto v, value("--log-level"));
      LogLevel l;
      if (!ParseLogLevel(v, &l))
        return Status::InvalidArgument("--log-level '" + v + "' is unknown");
      SetLogLevel(l);
    } else if (a[i] == "--help" || a[i] == "-h") {
      r.help = true;
    } else if (!a[i].empty() && a[i][0] == '-') {
      return Status::InvalidArgument("unknown flag " + a[i] +
                                     " (splitbrain run --help lists them)");
    } else if (r.plan.empty()) {
      r.plan = a[i];
    } else {
      return Status::InvalidArgument("more than one plan given ('" + r.plan + "', '" + a[i] + "')");
    }
  }
  if (r.plan.empty() && !r.help) return Status::InvalidArgument("no plan given");
  if (r.seed && r.seeds) {
    return Status::InvalidArgument(
        "--seed and --seeds cannot be given together: --seed N runs each test once with seed N, "
        "--seeds A..B once per seed");
  }
  return r;
}

const char* VerdictName(const nlohmann::json& v) {
  if (v == true) return "valid";
  if (v == false) return "INVALID";
  return "unknown";
}

int Summarise(const std::vector<TestOutcome>& outcomes) {
  std::cout << "\n" << std::left;
  char line[1024];
  snprintf(line, sizeof line, "%-32s %-20s %-8s %-8s %-5s %8s %9s  %s\n", "test", "seed", "verdict",
           "expected", "exit", "ops", "duration", "report");
  std::cout << line;
  int worst = 0;
  bool any1 = false, any2 = false, any255 = false;
  for (const auto& o : outcomes) {
    std::string report = o.run_dir.empty() ? "-" : o.run_dir + "/report.html";
    const std::string seed = o.seed ? std::to_string(*o.seed) : "-";
    snprintf(line, sizeof line, "%-32s %-20s %-8s %-8s %-5d %8lld %8.1fs  %s\n", o.name.c_str(),
             seed.c_str(), VerdictName(o.valid), o.expect.c_str(), o.exit_code,
             static_cast<long long>(o.stats.value("ops", int64_t{0})), o.duration_s,
             report.c_str());
    std::cout << line;
    if (!o.why.empty()) std::cout << "    why: " << o.why << "\n";
    any1 |= o.exit_code == 1;
    any2 |= o.exit_code == 2;
    any255 |= o.exit_code == 255;
  }
  std::cout << PerfComparison(outcomes);
  std::cout.flush();
  // The harness failing outranks everything; then a wrong verdict; then unknown.
  worst = any255 ? 255 : any1 ? 1 : any2 ? 2 : 0;
  return worst;
}

// Hidden: `splitbrain lab-selftest N` builds a lab with N node namespaces, each running a
// process, with network rules in place, prints "ready" and waits to be killed. The leak test
// SIGKILLs it and checks nothing is left behind.
int LabSelftest(int argc, char** argv) {
  if (!InsideLab()) {
    Status s = ProbeLabSupport();
    if (s.ok()) s = ReexecInLab(argc, argv);
    std::cerr << "splitbrain: " << s << "\n";
    return 2;
  }
  const int n = argc > 2 ? atoi(argv[2]) : 3;
  const std::string dir = "/tmp/splitbrain-selftest-" + std::to_string(getppid());
  std::filesystem::create_directories(dir);
  auto lab = Lab::Create(n, dir);
  if (!lab.ok()) {
    std::cerr << "splitbrain: " << lab.status() << "\n";
    return 2;
  }
  std::vector<std::unique_ptr<ManagedProcess>> procs;
  for (const auto& id : (*lab)->ids()) {
    auto cmd = (*lab)->InNode(id);
    cmd.insert(cmd.end(), {"sleep", "infinity"});
    procs.push_back(std::make_unique<ManagedProcess>());
    if (!procs.back()->Start(cmd, dir + "/" + id + ".log").ok()) return 2;
  }
  Status s = (*lab)->SetRules({{"n1", "n2", nemesis::NetMode::kDrop, 1.0}});
  if (!s.ok()) {
    std::cerr << "splitbrain: " << s << "\n";
    return 2;
  }
  std::filesystem::remove_all(dir);
  std::cout << "ready";
  for (const auto& ns : (*lab)->NamespaceIds()) std::cout << " " << ns;
  std::cout << std::endl;
  while (true) pause();
}

// The summary and the exit code of a run, stopped or not.
int Finish(const std::vector<TestOutcome>& outcomes, const std::vector<std::string>& not_run) {
  const int code = Summarise(outcomes);
  if (!g_interrupted) return code;
  // A stopped run is unknown, whatever the tests before the stop found (only a harness
  // failure outranks it).
  std::cout << "stopped by " << strsignal(g_interrupt_signal.load());
  if (!not_run.empty()) {
    std::cout << "; not run:";
    for (const auto& n : not_run) std::cout << " " << n;
  }
  std::cout << std::endl;
  return code == 255 ? 255 : 2;
}

// --jobs J: each pair in a `splitbrain run ... --pair I` child of its own (jobs.h), so in a lab
// of its own; this process only starts them, forwards stop signals and sums up.
int RunParallel(const RunArgs& ra, const std::vector<std::string>& args,
                const std::vector<TestPlan>& runs) {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  JobsOptions jobs;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  jobs.child_argv = {ec ? std::string("splitbrain") : self.string(), "run"};
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--jobs") {
      ++i;  // and its value
      continue;
    }
    jobs.child_argv.push_back(args[i]);
  }
  for (const auto& p : runs) {
    jobs.labels.push_back(p.name + (p.seed ? " seed " + std::to_string(*p.seed) : ""));
  }
  jobs.jobs = ra.jobs;
  jobs.stop = &g_interrupted;
  jobs.stop_signal = &g_interrupt_signal;
  std::cerr << "splitbrain: " << runs.size() << " tests, " << ra.jobs << " at a time\n";
  JobsResult r = RunJobs(jobs, std::cerr);
  // The children wrote the index as each ended; the last to write may not have seen them all.
  Status idx = results::WriteIndex(ra.store);
  if (!idx.ok()) std::cerr << "splitbrain: index: " << idx << "\n";
  return Finish(r.outcomes, r.not_run);
}

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + 2, argv + argc);
  // Inside the lab, a stop signal is caught from the start: one that arrives while the plan
  // is read again still stops the run (the process outside sends it again until we exit).
  if (InsideLab()) {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
  }
  auto ra = ParseRunArgs(args);
  if (!ra.ok()) {
    std::cerr << "splitbrain run: " << ra.status().message() << "\n" << kUsage;
    return 255;
  }
  if (ra->help) {
    std::cout << kRunHelp;
    return 0;
  }
  // The whole plan is validated before anything starts.
  auto plans = ParsePlanFile(ra->plan);
  if (!plans.ok()) {
    std::cerr << "splitbrain: " << plans.status().message() << "\n";
    return 255;
  }
  for (auto& p : *plans) {
    if (ra->seed) p.seed = ra->seed;
    if (ra->time_limit_ns) p.time_limit_ns = *ra->time_limit_ns;
    if (std::string why = SimulationOnlyReason(p); !why.empty()) {
      std::cerr << "splitbrain: " << why << "\n";
      return 255;
    }
  }
  if (!ra->hosts_file.empty()) {
    auto hosts = ParseHostsFile(ra->hosts_file);
    Status s = hosts.ok() ? ApplyHosts(*hosts, ra->hosts_file, &*plans) : hosts.status();
    if (!s.ok()) {
      std::cerr << "splitbrain: " << s.message() << "\n";
      return 255;
    }
  }
  // Real hosts over SSH (hosts:) or the lab: one or the other for the whole run.
  size_t over_ssh = 0;
  for (const auto& p : *plans) over_ssh += p.hosts.empty() ? 0 : 1;
  if (over_ssh != 0 && over_ssh != plans->size()) {
    std::cerr << "splitbrain: " << ra->plan << ": " << over_ssh << " of " << plans->size()
              << " tests have hosts: and the others run in the lab; give every test hosts: "
                 "(or --hosts FILE) or none\n";
    return 255;
  }
  if (over_ssh != 0 && ra->jobs > 1) {
    std::cerr << "splitbrain: --jobs runs tests in labs of their own; tests on hosts: run one at "
                 "a time\n";
    return 255;
  }
  // The (test, seed) pairs this machine runs (shard.h): every test once (or once per seed of
  // --seeds), of which --shard keeps one slice. Computed the same way inside the lab.
  std::vector<TestPlan> runs;
  nlohmann::json sweep = nlohmann::json::object();
  if (ra->shard) sweep["shard"] = ra->shard->ToString();
  if (ra->seeds) sweep["seeds"] = ra->seeds->ToString();
  {
    std::vector<TestSeed> pairs = AllPairs(plans->size(), ra->seeds);
    const size_t all = pairs.size();
    if (ra->shard) pairs = SliceFor(pairs, *ra->shard);
    for (const auto& pair : pairs) {
      runs.push_back((*plans)[pair.test]);
      if (pair.seed) runs.back().seed = pair.seed;
    }
    if (ra->shard && !InsideLab()) {
      std::cerr << "splitbrain: shard " << ra->shard->ToString() << ": " << runs.size() << " of "
                << all << " (test, seed) pairs\n";
    }
    if (ra->pair) {
      if (*ra->pair >= runs.size()) {
        std::cerr << "splitbrain run: --pair " << *ra->pair << ": this slice has " << runs.size()
                  << " pairs\n";
        return 255;
      }
      runs = {runs[*ra->pair]};
    }
    if (runs.empty()) {
      // Not an error: N machines for fewer pairs than N leave some with nothing to do.
      std::cout << "splitbrain: shard " << (ra->shard ? ra->shard->ToString() : "1/1")
                << " holds none of the plan's " << all << " (test, seed) pairs: nothing to run\n";
      return 0;
    }
  }

  // Each test's member program, found before the lab starts (a missing etcd is said
  // now), for the tests this machine runs.
  for (auto& p : runs) {
    const SystemAdapter* adapter = FindSystem(p.system);
    auto binary = adapter->find_binary(p, ra->node_binary);
    if (!binary.ok()) {
      std::cerr << "splitbrain: " << p.name << ": " << binary.status().message() << "\n";
      return 255;
    }
    p.node.binary = *binary;
  }
  // A --jobs child hands its outcome to its parent through this file.
  auto hand_over = [&](const std::vector<TestOutcome>& outcomes) {
    if (ra->outcome_file.empty()) return;
    nlohmann::json all = nlohmann::json::array();
    for (const auto& o : outcomes) all.push_back(OutcomeToJson(o));
    WriteJsonFile(ra->outcome_file, all);
  };
  if (over_ssh != 0 && !InsideLab()) {
    // Over SSH the harness runs here, on this machine's network: no lab. A stop signal heals
    // the hosts as in the lab; a SIGKILL leaves each host to its dead-man watchdog.
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
  } else if (!InsideLab()) {
    // A --jobs child dies with its parent, and its lab with it (as the lab dies with us).
    if (ra->pair && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)) return 255;
    Status s = ProbeLabSupport();
    if (!s.ok()) {
      std::cerr << "splitbrain: " << s.message() << "\n";
      std::vector<TestOutcome> outcomes;
      for (const auto& p : runs) {
        outcomes.push_back(RecordUnrunnable(p, ra->store, s.message(),
                                            s.code() == StatusCode::kUnsupported ? 2 : 255, sweep));
      }
      hand_over(outcomes);
      return Summarise(outcomes);
    }
    if (ra->jobs > 1 && !ra->pair) return RunParallel(*ra, args, runs);
    s = ReexecInLab(argc, argv);  // returns only on failure
    std::cerr << "splitbrain: " << s << "\n";
    return 255;
  }

  RunOptions opts;
  opts.store = ra->store;
  opts.live_status = isatty(STDERR_FILENO);
  opts.interrupted = &g_interrupted;
  opts.interrupt_signal = &g_interrupt_signal;
  opts.sweep = sweep;
  std::vector<TestOutcome> outcomes;
  std::vector<std::string> not_run;
  for (const auto& p : runs) {
    if (g_interrupted) {
      not_run.push_back(p.name);
      continue;
    }
    outcomes.push_back(RunTest(p, opts));
    const auto& o = outcomes.back();
    std::cerr << p.name;
    if (o.seed) std::cerr << " seed " << *o.seed;
    std::cerr << ": " << VerdictName(o.valid) << " (expected " << o.expect << ") -> " << o.run_dir
              << "\n";
  }
  hand_over(outcomes);
  return Finish(outcomes, not_run);
}

}  // namespace
}  // namespace splitbrain::harness

int main(int argc, char** argv) {
  using namespace splitbrain;
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") {
    const int code = harness::Run(argc, argv);
    // A checker abandoned past its budget may still be running on a detached thread: leave
    // without waiting for it (the lab dies with us).
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  if (cmd == "sim") {
    return harness::sim::RunSimCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                       std::cerr);
  }
  if (cmd == "shrink") {
    return harness::shrink::RunShrinkCommand(std::vector<std::string>(argv + 2, argv + argc),
                                             std::cout, std::cerr);
  }
  if (cmd == "check") {
    return checker::RunCheckCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                    std::cerr);
  }
  if (cmd == "report") {
    return results::RunReportCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                     std::cerr);
  }
  if (cmd == "merge") {
    return results::RunMergeCommand(std::vector<std::string>(argv + 2, argv + argc), std::cout,
                                    std::cerr);
  }
  if (cmd == "lab-selftest") return harness::LabSelftest(argc, argv);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << harness::kUsage << "\n" << harness::kHelp;
    return 0;
  }
  std::cerr << harness::kUsage;
  return 255;
}

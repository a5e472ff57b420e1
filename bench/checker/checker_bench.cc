// checker_bench: how fast the linearizability checker is, beside Porcupine's figures measured on
// this machine (issue 5). Each case runs in a forked child so its peak RSS is its own.
// Usage: checker_bench [--only SUBSTRING] [--write DIR] [--threads N] [--corpus DIR]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/checker.h"
#include "checker/history_gen.h"
#include "records/history_jsonl.h"

using namespace splitbrain;
using namespace splitbrain::checker;

namespace {

struct Args {
  std::string only, write_dir, corpus = SPLITBRAIN_CORPUS_DIR;
  int threads = 0;
} g_args;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Measured {
  int64_t events = 0;
  double parse_s = 0, check_s = 0;
  std::string verdict;
  int64_t peak_search = 0;
};

Measured CheckText(const std::string& text, const std::string& name, const std::string& model) {
  Measured o;
  double t0 = Now();
  auto h = records::ParseJsonlHistory(text, name);
  double t1 = Now();
  if (!h.ok()) {
    std::cerr << h.status() << "\n";
    std::exit(3);
  }
  LinearizableOptions lo;
  lo.model = model;
  lo.budget.threads = g_args.threads;
  lo.budget.timeout_s = 120;
  lo.budget.max_memory_bytes = int64_t{4} << 30;
  auto r = CheckLinearizable(*h, lo);
  double t2 = Now();
  o.events = h->events;
  o.parse_s = t1 - t0;
  o.check_s = t2 - t1;
  o.verdict = r.ok() ? ValidityName(r->valid) : "error";
  o.peak_search = r.ok() ? r->json.value("peak_search_bytes", int64_t{0}) : 0;
  return o;
}

void Report(const std::string& name, const Measured& o, const std::string& porcupine) {
  double total = o.parse_s + o.check_s;
  printf("%-34s %9lld ev  %-8s parse %7.3f s  check %7.3f s  %11.0f ev/s  search %7.1f MB",
         name.c_str(), static_cast<long long>(o.events), o.verdict.c_str(), o.parse_s, o.check_s,
         o.events / std::max(total, 1e-9), o.peak_search / 1048576.0);
  printf("  | Porcupine: %s\n", porcupine.c_str());
  fflush(stdout);
}

// Runs fn in a child process and prints its peak RSS.
void Case(const std::string& name, const std::function<void()>& fn) {
  if (!g_args.only.empty() && name.find(g_args.only) == std::string::npos) return;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
  printf("%-34s peak RSS %.1f MB, CPU %.3f s (user+sys, whole child: generation included)%s\n", "",
         ru.ru_maxrss / 1024.0, cpu,
         WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : "  (child failed)");
}

void Generated(const std::string& name, GenOptions g, bool inject, const std::string& porcupine) {
  Case(name, [&]() {
    History h = GenerateRegisterHistory(g);
    if (inject) {
      Rng rng(g.seed);
      // Inject in the second half, so most of the history must be searched first.
      for (int i = 0; i < 100; ++i) {
        if (InjectStaleRead(&h, rng, false)) break;
      }
    }
    int64_t info = 0;
    for (const auto& op : h.ops) info += op.result == records::Outcome::kUnknown;
    std::string text = HistoryToJsonl(h);
    if (!g_args.write_dir.empty()) {
      std::ofstream(g_args.write_dir + "/" + name + ".jsonl") << text;
    }
    Measured o = CheckText(text, name, "register");
    Report(name + " (" + std::to_string(info) + " info)", o, porcupine);
  });
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) {
      g_args.only = argv[++i];
    } else if (a == "--write" && i + 1 < argc) {
      g_args.write_dir = argv[++i];
      std::filesystem::create_directories(g_args.write_dir);
    } else if (a == "--threads" && i + 1 < argc) {
      g_args.threads = std::atoi(argv[++i]);
    } else if (a == "--corpus" && i + 1 < argc) {
      g_args.corpus = argv[++i];
    } else {
      std::cerr
          << "usage: checker_bench [--only NAME] [--write DIR] [--threads N] [--corpus DIR]\n";
      return 2;
    }
  }
  for (const char* group : {"porcupine-etcd", "porcupine-kv"}) {
    std::string name = std::string("corpus/") + group;
    Case(name, [&]() {
      std::ifstream in(g_args.corpus + "/manifest.json");
      if (!in) {
        std::cerr << "no corpus at " << g_args.corpus << "\n";
        std::exit(3);
      }
      auto manifest = nlohmann::json::parse(in);
      Measured sum;
      int agree = 0, files = 0;
      for (const auto& f : manifest["files"]) {
        std::string file = f["file"];
        if (file.rfind(group, 0) != 0) continue;
        std::string text = ReadAll(g_args.corpus + "/" + file);
        Measured o = CheckText(text, file, f["model"]);
        ++files;
        agree += (o.verdict == "valid") == f["linearizable"].get<bool>() && o.verdict != "unknown";
        sum.events += o.events;
        sum.parse_s += o.parse_s;
        sum.check_s += o.check_s;
        sum.peak_search = std::max(sum.peak_search, o.peak_search);
      }
      sum.verdict = std::to_string(agree) + "/" + std::to_string(files);
      Report(name, sum,
             std::string(group) == "porcupine-etcd" ? "0.39 s checking, 0.79 s as a process"
                                                    : "0.42 s");
    });
  }
  GenOptions multi;
  multi.seed = 1;
  multi.processes = 100;
  multi.keys = 1000;
  multi.ops = 500000;
  multi.values = 5;
  multi.info_share = 0.001;
  Generated("1M-events-1000-keys-100-procs", multi, false, "1.15 s checking, 6.2 s as a process");
  for (int k : {100, 200, 300}) {
    GenOptions one;
    one.seed = 2;
    one.processes = 10;
    one.ops = k * 500;
    one.values = 5;
    Generated("1-key-10-procs-" + std::to_string(k) + "k", one, false,
              k == 100   ? "5.5 s, 2 GB"
              : k == 200 ? "24 s, 7.6 GB"
                         : "out of 14 GB, no answer");
  }
  for (int p : {25, 30, 40}) {
    GenOptions g;
    g.seed = 3;
    g.processes = p;
    g.ops = 5000;
    g.values = 5;
    Generated("10k-events-" + std::to_string(p) + "-procs", g, false,
              p == 25 ? "33 s" : "out of 14 GB");
  }
  GenOptions v;
  v.seed = 4;
  v.processes = 5;
  v.ops = 5000;
  v.values = 0;
  v.info_share = 0.008;
  Generated("10k-events-5-procs-info-violation", v, true, "out of 14 GB or > 3 min");
  GenOptions v5 = v;
  v5.values = 5;
  Generated("10k-ev-5-procs-info-violation-v5", v5, true, "(our harder variant: values 0..4)");
  return 0;
}

#include "results/merge.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "results/html.h"
#include "results/junit.h"
#include "results/report.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kBadUsage = 255;

constexpr char kMergeHelp[] =
    "usage: splitbrain merge STORE... --into DIR\n"
    "\n"
    "Joins run stores (each as `splitbrain run --store STORE` writes it, e.g. one per CI shard\n"
    "of `splitbrain run PLAN --shard K/N`) into DIR: every run is copied (hard-linked where\n"
    "DIR is on the same filesystem) to DIR/<test>/<run>/; a run whose folder name is already\n"
    "taken gets a -s<I> suffix (I: the STORE's position) and the rename is printed. Then\n"
    "DIR/junit.xml (one testsuite per run) and DIR/index.html over every run are written,\n"
    "and one line per run with the totals is printed. The STOREs are only read.\n"
    "\n"
    "flags:\n"
    "  --into DIR   where the merged store goes (created; must not hold runs already)\n"
    "  -h, --help   this text\n"
    "\n"
    "exit codes (as `splitbrain run` over all the runs):\n"
    "  0    every run came out as its plan expects\n"
    "  1    some run did not\n"
    "  2    none did not, but some verdict is unknown (or a run was interrupted)\n"
    "  255  bad usage, a STORE missing or not a store (nothing is written), DIR already\n"
    "       holding runs, or a copy that failed\n"
    "docs: results/README.md in splitbrain's source tree.\n";

json ReadResults(const fs::path& run) {
  std::ifstream in(run / "results.json", std::ios::binary);
  if (!in) return nullptr;
  std::stringstream buffer;
  buffer << in.rdbuf();
  json parsed = json::parse(buffer.str(), nullptr, false);
  return parsed.is_object() ? parsed : json(nullptr);
}

// Copies a run folder: hard links where possible (same filesystem), else a real copy.
std::error_code CopyRun(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return ec;
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks |
               fs::copy_options::create_hard_links,
           ec);
  if (!ec) return ec;
  fs::remove_all(to, ec);
  ec.clear();
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  return ec;
}

struct Planned {
  fs::path from;
  std::string to;  // relative to DIR: <test>/<run>
};

}  // namespace

int ExitCodeOfRun(const json& results) {
  if (!results.is_object()) return 2;
  auto valid = results.find("valid");
  if (valid == results.end() || !valid->is_boolean()) return 2;
  const bool found_anomaly = !valid->get<bool>();
  return found_anomaly == (FieldText(results, "expected", "valid") == "invalid") ? 0 : 1;
}

int RunMergeCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> rest = args;
  if (!rest.empty() && rest.front() == "merge") rest.erase(rest.begin());
  std::vector<fs::path> stores;
  fs::path into;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--help" || rest[i] == "-h") {
      out << kMergeHelp;
      return 0;
    }
    if (rest[i] == "--into") {
      if (i + 1 >= rest.size() || !into.empty()) {
        err << "splitbrain merge: --into needs one directory\n";
        return kBadUsage;
      }
      into = rest[++i];
    } else if (!rest[i].empty() && rest[i][0] == '-') {
      err << "splitbrain merge: unknown flag " << rest[i] << " (splitbrain merge --help)\n";
      return kBadUsage;
    } else {
      stores.push_back(rest[i]);
    }
  }
  if (stores.empty() || into.empty()) {
    err << "usage: splitbrain merge STORE... --into DIR   (splitbrain merge --help says more)\n";
    return kBadUsage;
  }

  // Every store is checked before anything is written.
  std::error_code ec;
  const fs::path into_abs = fs::weakly_canonical(into, ec);
  std::vector<std::vector<fs::path>> runs_of(stores.size());
  for (size_t s = 0; s < stores.size(); ++s) {
    const fs::path& store = stores[s];
    if (!fs::is_directory(store, ec)) {
      err << "splitbrain merge: " << store.string() << ": no such store directory\n";
      return kBadUsage;
    }
    if (fs::weakly_canonical(store, ec) == into_abs) {
      err << "splitbrain merge: " << store.string()
          << ": is the --into directory itself: merge into a new directory\n";
      return kBadUsage;
    }
    runs_of[s] = FindRuns(store);
    if (runs_of[s].empty()) {
      err << "splitbrain merge: " << store.string()
          << ": not a store (no STORE/<test>/<timestamp>/ run folder in it)\n";
      return kBadUsage;
    }
  }
  if (fs::exists(into, ec) && (!fs::is_directory(into, ec) || !FindRuns(into).empty())) {
    err << "splitbrain merge: " << into.string()
        << (fs::is_directory(into, ec) ? ": already holds runs: merge into a new or empty directory"
                                       : ": exists and is not a directory")
        << "\n";
    return kBadUsage;
  }

  // Where each run goes. Runs are named <test>/<UTC start, to the millisecond>, so two
  // machines collide only when one test starts in the same millisecond on both; the later
  // store's run then gets a suffix naming that store's position.
  std::vector<Planned> plan;
  std::set<std::string> taken;
  for (size_t s = 0; s < stores.size(); ++s) {
    for (const fs::path& run : runs_of[s]) {
      const std::string test = run.parent_path().filename().string();
      const std::string name = run.filename().string();
      std::string to = test + "/" + name;
      if (taken.count(to)) {
        const std::string base = to + "-s" + std::to_string(s + 1);
        to = base;
        for (int k = 2; taken.count(to); ++k) to = base + "-" + std::to_string(k);
        out << "renamed: " << run.string() << " -> " << (into / to).string() << " ("
            << test + "/" + name << " is taken by another store's run)\n";
      }
      taken.insert(to);
      plan.push_back({run, to});
    }
  }

  fs::create_directories(into, ec);
  if (ec) {
    err << "splitbrain merge: " << into.string() << ": cannot create: " << ec.message() << "\n";
    return kBadUsage;
  }
  for (const Planned& p : plan) {
    std::error_code copy = CopyRun(p.from, into / p.to);
    if (copy) {
      err << "splitbrain merge: copying " << p.from.string() << " to " << (into / p.to).string()
          << ": " << copy.message() << "\n";
      return kBadUsage;
    }
  }

  // The summary, the junit over every run and the index.
  std::string suites;
  JunitCounts counts;
  int as_expected = 0, not_expected = 0, unknown = 0;
  char line[1024];
  std::snprintf(line, sizeof line, "%-32s %-20s %-7s %-11s %-8s %-4s  %s\n", "test", "seed",
                "shard", "verdict", "expected", "exit", "run");
  out << "\n" << line;
  for (const Planned& p : plan) {
    const fs::path run = into / p.to;
    const json results = ReadResults(run);
    const std::string test = FieldText(results, "test", p.to.substr(0, p.to.find('/')).c_str());
    std::string verdict = "interrupted";
    if (results.is_object()) {
      auto v = results.find("valid");
      verdict = v != results.end() && v->is_boolean() ? (v->get<bool>() ? "valid" : "INVALID")
                                                      : "unknown";
    }
    const int code = ExitCodeOfRun(results);
    (code == 0 ? as_expected : code == 1 ? not_expected : unknown) += 1;
    std::snprintf(line, sizeof line, "%-32s %-20s %-7s %-11s %-8s %-4d  %s\n", test.c_str(),
                  FieldText(results, "seed", "-").c_str(), FieldText(results, "shard", "-").c_str(),
                  verdict.c_str(), FieldText(results, "expected", "valid").c_str(), code,
                  run.string().c_str());
    out << line;
    // A run with no results.json still gets its testcase: an error, never a pass.
    json for_junit = results.is_object()
                         ? results
                         : json{{"test", test},
                                {"valid", "unknown"},
                                {"why", "interrupted: the run folder has no results.json"}};
    suites += RenderJunitSuite(for_junit, test, &counts);
  }
  Status junit = WriteFileAtomically(into / "junit.xml", JunitDocument(suites, counts));
  Status index = WriteIndex(into);
  if (!junit.ok() || !index.ok()) {
    err << "splitbrain merge: " << (junit.ok() ? index : junit) << "\n";
    return kBadUsage;
  }
  out << "\n"
      << plan.size() << " runs from " << stores.size() << " stores: " << as_expected
      << " as expected, " << not_expected << " not, " << unknown << " unknown\n"
      << (into / "index.html").string() << "\n"
      << (into / "junit.xml").string() << " (" << counts.tests << " testcases, " << counts.failures
      << " failures, " << counts.errors << " errors)\n";
  // As `splitbrain run`: a wrong verdict outranks an unknown one.
  return not_expected ? 1 : unknown ? 2 : 0;
}

}  // namespace splitbrain::results

// Prints how long WriteReport takes on a synthetic run (default 100,000 operations, 20 clients,
// 5 nodes, faults and a counterexample) and how big report.html is; with Chromium installed,
// also how long the page's scripts take to draw it. Figures, not a test: nothing here fails.
//   results_report_bench [OPS]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "results/report.h"
#include "results/run_data.h"
#include "results/test_store.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using splitbrain::results::ReadRun;
using splitbrain::results::RenderReportHtml;
using splitbrain::results::TestRunOptions;
using splitbrain::results::WriteReport;
using splitbrain::results::WriteTestRun;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int main(int argc, char** argv) {
  TestRunOptions options;
  options.ops = argc > 1 ? std::atoll(argv[1]) : 100'000;
  options.processes = 20;
  options.nodes = 5;
  options.invalid = true;
  std::string pattern = (fs::temp_directory_path() / "sb-report-bench-XXXXXX").string();
  if (!mkdtemp(pattern.data())) return 1;
  fs::path run = fs::path(pattern) / "bench" / "1";
  if (!WriteTestRun(run, options).ok()) return 1;
  auto history_bytes = fs::file_size(run / "history.jsonl");

  constexpr int kRounds = 5;
  double best_read = 1e18, best_render = 1e18, best_total = 1e18;
  size_t html_bytes = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto t0 = Clock::now();
    auto data = ReadRun(run);
    auto t1 = Clock::now();
    std::string html = RenderReportHtml(*data);
    auto t2 = Clock::now();
    html_bytes = html.size();
    if (!WriteReport(run).ok()) return 1;
    auto t3 = Clock::now();
    best_read = std::min(best_read, Ms(t0, t1));
    best_render = std::min(best_render, Ms(t1, t2));
    best_total = std::min(best_total, Ms(t2, t3));
  }
  std::printf("operations            %lld (history.jsonl %.1f MB)\n",
              static_cast<long long>(options.ops), history_bytes / 1e6);
  std::printf("ReadRun               %.0f ms (best of %d)\n", best_read, kRounds);
  std::printf("RenderReportHtml      %.0f ms\n", best_render);
  std::printf("WriteReport (all)     %.0f ms (reads, renders, writes report.html + junit.xml)\n",
              best_total);
  std::printf("report.html           %.2f MB (bound: 20 MB)\n", html_bytes / 1e6);

  if (fs::exists("/usr/bin/chromium")) {
    fs::path out = fs::path(pattern) / "dom.html";
    std::string command =
        "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic "
        "--no-first-run --disable-background-networking --disable-component-update "
        "--disable-sync --window-size=1400,2000 --user-data-dir=" +
        (fs::path(pattern) / "profile").string() + " --dump-dom file://" +
        fs::absolute(run / "report.html").string() + " >" + out.string() + " 2>/dev/null";
    auto t0 = Clock::now();
    int rc = std::system(command.c_str());
    auto t1 = Clock::now();
    std::ifstream in(out);
    std::stringstream dom;
    dom << in.rdbuf();
    std::string text = dom.str();
    size_t at = text.find(" operations in ");
    size_t end = at == std::string::npos ? at : text.find(" ms", at);
    if (rc == 0 && end != std::string::npos) {
      std::printf("chromium: page drawn  %s ms after navigation began (headless)\n",
                  text.substr(at + 15, end - at - 15).c_str());
    }
    std::printf("chromium: whole run   %.0f ms (start, load, draw, dump, exit)\n", Ms(t0, t1));
  }
  fs::remove_all(pattern);
  return 0;
}

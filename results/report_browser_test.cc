// Opens generated reports in headless Chromium (Debian's `chromium`, or $SPLITBRAIN_CHROMIUM):
// the page must run its scripts without a single console message or uncaught error, and draw
// the timeline, the plots and the counterexample. Saves a screenshot into the build folder.
// Fails when no browser is installed: the test command installs one (install-deps.sh --test).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "checker/checker.h"
#include "records/history_file.h"
#include "results/report.h"
#include "results/test_store.h"
#include "results/test_util.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;

std::string FindChromium() {
  if (const char* env = std::getenv("SPLITBRAIN_CHROMIUM"); env && *env) return env;
  for (const char* path :
       {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (fs::exists(path)) return path;
  }
  return "";
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct BrowserRun {
  int status = -1;
  std::string dom;  // stdout: the DOM after the page's scripts ran (--dump-dom)
  std::string log;  // stderr: Chromium's log, console messages included
};

// One headless Chromium on `page`, with a fresh profile and nothing that reaches the network.
BrowserRun RunChromium(const fs::path& page, const std::vector<std::string>& extra) {
  TempDir work;
  std::string command = "timeout -k 5 90 " + Quote(FindChromium()) +
                        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                        " --disable-background-networking --disable-component-update"
                        " --disable-sync --enable-logging=stderr --v=0 --user-data-dir=" +
                        Quote((work.path() / "profile").string());
  for (const auto& arg : extra) command += " " + Quote(arg);
  command += " " + Quote("file://" + fs::absolute(page).string()) + " >" +
             Quote((work.path() / "out").string()) + " 2>" + Quote((work.path() / "err").string());
  BrowserRun run;
  run.status = std::system(command.c_str());
  run.dom = ReadFile(work.path() / "out");
  run.log = ReadFile(work.path() / "err");
  return run;
}

// Every console message and uncaught exception in Chromium's log. Chromium logs all console
// levels alike ("INFO:CONSOLE"), so any message counts: the report's script writes none.
std::vector<std::string> ConsoleMessages(const std::string& log) {
  std::vector<std::string> found;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) {
      found.push_back(line);
    }
  }
  return found;
}

using testing::Count;

double Seconds(std::chrono::steady_clock::time_point from,
               std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(FindChromium().empty())
        << "no chromium: install it (scripts/install-deps.sh --test)";
  }
};

// The check must be able to fail: a page that logs an error and throws is caught.
TEST_F(BrowserTest, ConsoleErrorsAreDetected) {
  TempDir dir;
  std::ofstream(dir.path() / "bad.html")
      << "<html><body><div id=x></div><script>console.error('boom');"
         "document.getElementById('x').textContent='ran';no_such_function();</script></body></"
         "html>";
  BrowserRun run = RunChromium(dir.path() / "bad.html", {"--dump-dom"});
  ASSERT_NE(run.dom.find(">ran<"), std::string::npos) << run.dom << run.log;
  auto messages = ConsoleMessages(run.log);
  ASSERT_EQ(messages.size(), 2u) << run.log;
  EXPECT_NE(messages[0].find("boom"), std::string::npos);
  EXPECT_NE(messages[1].find("no_such_function"), std::string::npos);
}

TEST_F(BrowserTest, ReportRendersTimelinePlotsAndCounterexample) {
  fs::path store = fs::path(SPLITBRAIN_BUILD_DIR) / "browser-store";
  fs::remove_all(store);
  fs::path run_dir = store / "register-partitions" / "20261126T230000Z";
  TestRunOptions options;
  options.ops = 3000;
  options.processes = 8;
  options.nodes = 5;
  options.invalid = true;
  ASSERT_TRUE(WriteTestRun(run_dir, options).ok());
  // The counterexample as the real checker writes it, not as this test imagines it.
  auto history = records::ReadHistoryFile((run_dir / "history.jsonl").string());
  ASSERT_TRUE(history.ok()) << history.status();
  checker::LinearizableOptions lin;
  lin.budget.timeout_s = 30;
  auto verdict = checker::CheckLinearizable(*history, lin);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  ASSERT_EQ(verdict->valid, checker::Validity::kInvalid) << verdict->json.dump();
  nlohmann::json results = nlohmann::json::parse(ReadFile(run_dir / "results.json"));
  results["checkers"]["linearizable"] = verdict->json;
  std::ofstream(run_dir / "results.json") << results.dump(2);
  const int64_t bad_line = verdict->json["details"]["op"]["invoke_line"].get<int64_t>();
  ASSERT_TRUE(WriteReport(run_dir).ok());

  BrowserRun run = RunChromium(run_dir / "report.html", {"--dump-dom", "--window-size=1400,2000"});
  EXPECT_EQ(run.status, 0) << run.log;
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << ConsoleMessages(run.log)[0];
  const std::string& dom = run.dom;
  ASSERT_NE(dom.find("data-rendered=\"ok\""), std::string::npos) << "the script did not finish\n"
                                                                 << run.log;
  EXPECT_NE(dom.find("<ul id=\"sb-errors\"></ul>"), std::string::npos);  // no errors shown
  // Timeline, faults lane, latency, throughput, raft roles, terms, commits, counterexample.
  EXPECT_GE(Count(dom, "<canvas"), 8);
  EXPECT_NE(dom.find("<div id=\"timeline\"><canvas class=\"plot\""), std::string::npos);
  for (const char* id : {"<div id=\"latency\"><canvas", "<div id=\"rate\"><canvas",
                         "<div id=\"faults\"><canvas", "id=\"cx-canvas\"", "id=\"cx-table\""}) {
    EXPECT_NE(dom.find(id), std::string::npos) << id;
  }
  EXPECT_NE(dom.find("operation that cannot be placed"), std::string::npos);
  EXPECT_NE(dom.find("longest linearizable prefix"), std::string::npos);
  // The operation that cannot be placed, matched to its history line, in the table.
  EXPECT_NE(dom.find("<tr class=\"bad\"><td>" + std::to_string(bad_line) + "</td>"),
            std::string::npos);
  EXPECT_NE(dom.find("show this operation in the timeline"), std::string::npos);
  EXPECT_NE(dom.find("drawn 3000 operations"), std::string::npos);
  // Where operations went (issue 25): the placement and one row per answering node.
  EXPECT_NE(dom.find("<b id=\"placement\">home</b>"), std::string::npos);
  EXPECT_NE(dom.find("<table id=\"traffic\">"), std::string::npos);
  EXPECT_EQ(Count(dom, "<tr data-node=\"n"), 5);

  fs::path shot = fs::path(SPLITBRAIN_BUILD_DIR) / "report-screenshot.png";
  fs::remove(shot);
  BrowserRun pic = RunChromium(
      run_dir / "report.html",
      {"--screenshot=" + shot.string(), "--window-size=1400,3400", "--hide-scrollbars"});
  ASSERT_TRUE(fs::exists(shot)) << pic.log;
  EXPECT_GT(fs::file_size(shot), 50'000u);  // a blank page compresses to a few KB

  // Hover and "jump to the first error", driven by a probe script appended to a copy.
  std::string html = ReadFile(run_dir / "report.html");
  const std::string probe = R"(<script>
(function () {
  var c = document.querySelector('#timeline canvas'), r = c.getBoundingClientRect();
  var tip = document.getElementById('sb-tip');
  for (var x = 100; x < r.width; x += 2) {
    c.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + x, clientY: r.top + 21, bubbles: true}));
    if (tip.style.display === 'block') break;
  }
  document.body.setAttribute('data-tip', tip.textContent);
  document.getElementById('jump-first-error').click();
})();
</script></body>)";
  html.replace(html.rfind("</body>"), 7, probe);
  std::ofstream(run_dir / "probe.html") << html;
  BrowserRun probed =
      RunChromium(run_dir / "probe.html", {"--dump-dom", "--virtual-time-budget=3000"});
  EXPECT_TRUE(ConsoleMessages(probed.log).empty()) << probed.log;
  std::string tip = testing::Between(probed.dom, "data-tip=\"", "\"");
  ASSERT_FALSE(tip.empty()) << "no tooltip appeared when hovering the timeline";
  EXPECT_NE(tip.find("latency:"), std::string::npos) << tip;
  EXPECT_NE(tip.find("2026-11-26T23:00:"), std::string::npos) << tip;  // wall clock
  // After the jump the timeline shows a narrow window, not the whole run.
  EXPECT_EQ(probed.dom.find("id=\"sb-range\">showing 0.000 s"), std::string::npos);
  EXPECT_NE(probed.dom.find("id=\"sb-range\">showing "), std::string::npos);

  // The index of runs and its filters: IndexFiltersByPlanSystemSeedAndVerdict.
}

// The index's filters in a real browser, in one launch: a link's #seed=...&system=... shows only
// those runs when the page loads, and every later change of the hash (back, forward, an edited
// address) re-filters from the hash alone — filters it does not name are reset. No console
// message; the detection matrix is drawn.
TEST_F(BrowserTest, IndexFiltersByPlanSystemSeedAndVerdict) {
  TempDir store;
  struct Run {
    const char *test, *dir, *plan, *system;
    int seed;
    bool valid;
    const char* expected;
  };
  const Run runs[] = {
      {"reg", "r1", "plans/nightly.yaml", "splitbrain", 9, true, "valid"},
      {"reg", "r2", "plans/nightly.yaml", "splitbrain", 10, true, "valid"},
      {"etcd-reg", "e1", "plans/etcd/register.yaml", "etcd", 9, true, "valid"},
      {"stale-read", "b1", "plans/bugs/stale-read.yaml", "splitbrain", 9, false, "invalid"},
  };
  for (const auto& r : runs) {
    TestRunOptions o;
    o.test = r.test;
    o.ops = 10;
    o.invalid = !r.valid;
    ASSERT_TRUE(WriteTestRun(store.path() / r.test / r.dir, o).ok());
    const auto path = store.path() / r.test / r.dir / "results.json";
    nlohmann::json results = nlohmann::json::parse(ReadFile(path));
    results.update({{"plan_file", r.plan},
                    {"system", r.system},
                    {"seed", r.seed},
                    {"expected", r.expected},
                    {"node_args", r.valid ? nlohmann::json::array()
                                          : nlohmann::json::array({"--bug", "stale-read"})}});
    std::ofstream(path) << results.dump(2);
  }
  ASSERT_TRUE(WriteIndex(store.path()).ok());
  // The first hash is the one the page is opened with; each later one is set by a probe script
  // appended to a copy of the page, which records what the page shows after each hashchange.
  struct Case {
    std::string hash, shown, visible;  // visible: the systems of the rows shown, in order
  };
  const Case cases[] = {
      {"#seed=9&system=etcd", "1 of 4 runs", "etcd"},
      {"#seed=9", "3 of 4 runs", ""},
      {"#system=splitbrain&verdict=invalid", "1 of 4 runs", "splitbrain"},
      {"#plan=plans%2Fnightly.yaml", "2 of 4 runs", "splitbrain,splitbrain"},
      {"#plan=plans%2Fnightly.yaml&seed=9&verdict=invalid", "0 of 4 runs", ""},
      {"#invalid", "1 of 4 runs", "splitbrain"},  // the short form: a verdict alone
      {"#seed=10", "1 of 4 runs", "splitbrain"},  // verdict=invalid above is reset
      {"", "4 of 4 runs", ""},
  };
  std::string later;
  for (size_t i = 1; i < std::size(cases); ++i) later += "'" + cases[i].hash + "',";
  std::string html = ReadFile(store.path() / "index.html");
  const std::string probe = R"(<script>
(function () {
  var hashes = [)" + later + R"(], out = [];
  function record() {
    var visible = [];
    document.querySelectorAll('#runs tbody tr').forEach(function (r) {
      if (r.style.display !== 'none') visible.push(r.getAttribute('data-system'));
    });
    out.push(document.getElementById('count').textContent + ':' + visible.join(','));
  }
  record();
  var i = 0;
  (function next() {
    if (i === hashes.length) { document.body.setAttribute('data-probe', out.join('|')); return; }
    window.addEventListener('hashchange', function once() {
      window.removeEventListener('hashchange', once);
      record();
      next();
    });
    window.location.hash = hashes[i++];
  })();
})();
</script></body>)";
  html.replace(html.rfind("</body>"), 7, probe);
  std::ofstream(store.path() / "probe.html") << html;
  const std::string url =
      "file://" + fs::absolute(store.path() / "probe.html").string() + cases[0].hash;
  TempDir work;
  std::string command = "timeout 60 " + Quote(FindChromium()) +
                        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                        " --disable-background-networking --disable-component-update"
                        " --disable-sync --enable-logging=stderr --v=0 --user-data-dir=" +
                        Quote((work.path() / "profile").string()) +
                        " --virtual-time-budget=500 --dump-dom " + Quote(url) + " >" +
                        Quote((work.path() / "dom").string()) + " 2>" +
                        Quote((work.path() / "err").string());
  ASSERT_EQ(std::system(command.c_str()), 0);
  const std::string dom = ReadFile(work.path() / "dom");
  const std::string log = ReadFile(work.path() / "err");
  EXPECT_TRUE(ConsoleMessages(log).empty()) << log;
  EXPECT_NE(dom.find("<tr data-bug-plan=\"stale-read\">"), std::string::npos);
  const std::string seen = testing::Between(dom, "data-probe=\"", "\"");
  ASSERT_FALSE(seen.empty()) << "the probe did not finish\n" << log;
  std::vector<std::string> states;
  for (size_t from = 0;;) {
    const size_t bar = seen.find('|', from);
    states.push_back(seen.substr(from, bar - from));
    if (bar == std::string::npos) break;
    from = bar + 1;
  }
  ASSERT_EQ(states.size(), std::size(cases)) << seen;
  for (size_t i = 0; i < states.size(); ++i) {
    const std::string& state = states[i];
    const size_t colon = state.find(':');
    EXPECT_EQ(state.substr(0, colon), cases[i].shown) << "hash '" << cases[i].hash << "'";
    if (!cases[i].visible.empty()) {
      EXPECT_EQ(state.substr(colon + 1), cases[i].visible) << "hash '" << cases[i].hash << "'";
    }
  }
}

// A lock run with two holders (as etcd gave): the lock checker's mutex counterexample is drawn
// in the counterexample section, and "jump to the first error" leads there.
TEST_F(BrowserTest, LockCounterexampleIsDrawn) {
  TempDir dir;
  // p1 holds l0 from 0.1 s; p2 is granted l0 at 3 s while p1 still holds it (released at 4 s).
  std::ofstream(dir.path() / "history.jsonl")
      << R"({"f":"acquire","key":"l0","process":1,"time":100000000,"type":"invoke","value":null}
{"f":"acquire","key":"l0","node":"n1","process":1,"time":110000000,"type":"ok","value":2}
{"f":"acquire","key":"l0","process":2,"time":200000000,"type":"invoke","value":null}
{"f":"acquire","key":"l0","node":"n2","process":2,"time":3000000000,"type":"ok","value":16}
{"f":"release","key":"l0","process":1,"time":4000000000,"type":"invoke","value":2}
{"f":"release","key":"l0","node":"n1","process":1,"time":4010000000,"type":"ok","value":2}
)";
  auto history = records::ReadHistoryFile((dir.path() / "history.jsonl").string());
  ASSERT_TRUE(history.ok()) << history.status();
  checker::CheckerInputs in;
  in.history = &*history;
  in.model = "mutex";
  auto verdict = checker::RunChecker("lock", in);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  ASSERT_EQ(verdict->valid, checker::Validity::kInvalid) << verdict->json.dump();
  nlohmann::json results = {{"valid", false},   {"expected", "invalid"},
                            {"seed", 1},        {"test", "etcd-lock"},
                            {"system", "etcd"}, {"checkers", {{"lock", verdict->json}}}};
  std::ofstream(dir.path() / "results.json") << results.dump(2);
  ASSERT_TRUE(WriteReport(dir.path()).ok());
  EXPECT_NE(
      ReadFile(dir.path() / "report.html").find("id=\"jump-first-error\" href=\"#counterexample\""),
      std::string::npos);
  BrowserRun run = RunChromium(dir.path() / "report.html", {"--dump-dom"});
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << run.log;
  EXPECT_NE(run.dom.find("data-rendered=\"ok\""), std::string::npos) << run.log;
  EXPECT_NE(run.dom.find("id=\"cx-canvas\""), std::string::npos);
  // p2's acquire (history line 3) is the operation that cannot be placed.
  EXPECT_NE(run.dom.find("<tr class=\"bad\"><td>3</td>"), std::string::npos);
  EXPECT_EQ(run.dom.find("muted\">No linearizability checker ran"), std::string::npos);
}

// Was: nested checker fields printed as raw JSON (availability's windows, stats' by_f, perf's
// latency_ms), one unbreakable line that spilled out of its card. Measured in the browser: no
// card's content is wider than the card, and the nested values are tables.
TEST_F(BrowserTest, CheckerCardsShowNestedValuesAsTablesInsideTheirCard) {
  TempDir dir;
  TestRunOptions options;
  options.ops = 500;
  ASSERT_TRUE(WriteTestRun(dir.path(), options).ok());
  nlohmann::json results = nlohmann::json::parse(ReadFile(dir.path() / "results.json"));
  nlohmann::json windows = nlohmann::json::array();
  for (int i = 0; i < 60; ++i) {
    windows.push_back({{"start_s", i * 1.0},
                       {"ops", 400 + i},
                       {"ok", 390 + i},
                       {"share", (390.0 + i) / (400.0 + i)}});
  }
  results["checkers"]["availability"] = {{"valid", true},
                                         {"windows", windows},
                                         {"worst_window_share", 0.975},
                                         {"problems", nlohmann::json::array()}};
  results["checkers"]["stats"] = {{"valid", true},
                                  {"by_f",
                                   {{"read", {{"ok", 1234567}, {"fail", 12}, {"info", 3}}},
                                    {"write", {{"ok", 7654321}, {"fail", 45}, {"info", 67}}},
                                    {"cas", {{"ok", 111}, {"fail", 2222}, {"info", 0}}}}}};
  results["checkers"]["perf"] = {
      {"valid", true},
      {"ok_ops", 123456},
      {"ops_per_s", 4115.2},
      {"latency_ms",
       {{"p50", 1.234567}, {"p95", 12.345678}, {"p99", 123.456789}, {"max", 1234.5}}}};
  std::ofstream(dir.path() / "results.json") << results.dump(2);
  ASSERT_TRUE(WriteReport(dir.path()).ok());

  std::string html = ReadFile(dir.path() / "report.html");
  const std::string probe = R"(<script>
(function () {
  var wide = [];
  Array.prototype.forEach.call(document.querySelectorAll('.card'), function (card) {
    var box = card.getBoundingClientRect();
    var over = card.scrollWidth > card.clientWidth + 1;
    Array.prototype.forEach.call(card.querySelectorAll('table, pre, td'), function (e) {
      var r = e.getBoundingClientRect();
      if (e.closest('.nested-wrap') && e.closest('.nested-wrap') !== e) {
        var w = e.closest('.nested-wrap').getBoundingClientRect();
        if (w.right > box.right + 1) over = true;
      } else if (r.right > box.right + 1) {
        over = true;
      }
    });
    if (over) wide.push(card.id);
  });
  document.body.setAttribute('data-wide', wide.join(' ') || 'none');
  var n = function (sel) { return document.querySelectorAll(sel).length; };
  document.body.setAttribute('data-counts', [
    n('#checker-availability table.nested tr'), n('#checker-stats table.nested tr'),
    n('#checker-perf table.nested th')].join(','));
})();
</script></body>)";
  html.replace(html.rfind("</body>"), 7, probe);
  std::ofstream(dir.path() / "probe.html") << html;
  BrowserRun run = RunChromium(dir.path() / "probe.html", {"--dump-dom", "--window-size=1000,900"});
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << run.log;
  EXPECT_EQ(testing::Between(run.dom, "data-wide=\"", "\""), "none");
  // 60 windows and a header row; 3 functions and a header row; p50, p95, p99, max.
  EXPECT_EQ(testing::Between(run.dom, "data-counts=\"", "\""), "61,4,4");
  // No raw JSON in the cards' tables.
  const std::string cards = testing::Between(run.dom, "<section id=\"checkers\">", "</section>");
  EXPECT_EQ(cards.find("[{"), std::string::npos) << cards.substr(0, 2000);
  EXPECT_EQ(cards.find("{\""), std::string::npos) << cards.substr(0, 2000);
  EXPECT_NE(cards.find("<td>1.235</td>"), std::string::npos);  // p50, four digits
}

TEST_F(BrowserTest, EmptyRunFolderRendersWithoutErrors) {
  TempDir dir;
  ASSERT_TRUE(WriteReport(dir.path()).ok());
  BrowserRun run = RunChromium(dir.path() / "report.html", {"--dump-dom"});
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << run.log;
  EXPECT_NE(run.dom.find("data-rendered=\"ok\""), std::string::npos);
}

TEST_F(BrowserTest, SampledRunSaysSoAndStillDrawsTheCounterexample) {
  TempDir dir;
  TestRunOptions options;
  options.ops = 6000;
  options.invalid = true;
  ASSERT_TRUE(WriteTestRun(dir.path(), options).ok());
  auto data = ReadRun(dir.path());
  ASSERT_TRUE(data.ok());
  std::ofstream(dir.path() / "report.html") << RenderReportHtml(*data, 1000);
  BrowserRun run = RunChromium(dir.path() / "report.html", {"--dump-dom"});
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << run.log;
  EXPECT_NE(run.dom.find("data-rendered=\"ok\""), std::string::npos);
  EXPECT_NE(run.dom.find("id=\"sb-sampled\""), std::string::npos);
  EXPECT_NE(run.dom.find("<tr class=\"bad\">"), std::string::npos);
}

TEST_F(BrowserTest, HundredThousandOperationRunRendersWithoutErrors) {
  TempDir store;
  fs::path run_dir = store.path() / "big" / "1";
  TestRunOptions options;
  options.ops = 100'000;
  options.processes = 20;
  options.nodes = 5;
  options.invalid = true;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteTestRun(run_dir, options).ok());
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteReport(run_dir).ok());
  auto t2 = std::chrono::steady_clock::now();
  // Phase times, flushed as they come: when the suite's load stretches this test, its output
  // (kept even when ctest kills it) says where the time went.
  std::cout << "100,000-op run written in " << Seconds(t0, t1) << " s, report in "
            << Seconds(t1, t2) << " s" << std::endl;
  // The page: under 20 MB, everything the checkers saw embedded, the Raft view thinned, nothing
  // loaded from elsewhere.
  EXPECT_LT(fs::file_size(run_dir / "report.html"), 20u * 1024 * 1024);
  {
    std::string html = ReadFile(run_dir / "report.html");
    EXPECT_FALSE(testing::LoadsFromOutside(html));
    nlohmann::json data = testing::EmbeddedData(html);
    ASSERT_FALSE(data.is_discarded());
    EXPECT_EQ(data["ops"]["p"].size(), 100'000u);  // nothing the checkers saw is dropped
    EXPECT_EQ(data["ops"]["e"].size(), 100'000u);
    for (const auto& node : data["raft"]) {
      EXPECT_LE(node["ev"].size(), static_cast<size_t>(kMaxCommitPoints) + 100);
    }
  }
  auto t3 = std::chrono::steady_clock::now();
  BrowserRun run = RunChromium(run_dir / "report.html", {"--dump-dom", "--window-size=1400,2000"});
  std::cout << "page checked in " << Seconds(t2, t3) << " s, Chromium ran "
            << Seconds(t3, std::chrono::steady_clock::now()) << " s" << std::endl;
  EXPECT_TRUE(ConsoleMessages(run.log).empty()) << run.log;
  EXPECT_NE(run.dom.find("data-rendered=\"ok\""), std::string::npos);
  EXPECT_NE(run.dom.find("drawn 100000 operations"), std::string::npos);
  std::string ms = testing::Between(run.dom, "drawn 100000 operations in ", " ms");
  if (!ms.empty())
    std::cout << "100,000-op report: scripts done " << ms << " ms after load began\n";
}

}  // namespace
}  // namespace splitbrain::results

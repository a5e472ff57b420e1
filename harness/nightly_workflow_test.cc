// Lints .github/workflows/nightly.yml, the sharded nightly (issue 23): YAML that parses, only
// keys GitHub Actions knows at each level, every `${{ }}` expression naming a matrix key, step
// output or job that exists where it is used, `needs` naming real jobs, and the structure the
// sharding rests on — a matrix `shard: [1..N]` whose N is the N of `--shard ${{ matrix.shard }}/N`,
// the shards' artifact names matched by the merge job's download pattern, and a merge job that
// runs whatever the shards did (`if: always()`), runs `splitbrain merge` and exits with its code;
// and a job that runs the simulator's tests at several times the suite's seeds (RAFT_SIM_SCALE).
// actionlint is not packaged by Debian and a JSON-schema check would only see key shapes (and
// need the schema committed); these are the mistakes that would silently run half the nightly.
#include <fnmatch.h>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace splitbrain::harness {
namespace {

std::string ReadWorkflow() {
  std::ifstream in(std::string(SPLITBRAIN_SOURCE_DIR) + "/.github/workflows/nightly.yml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::set<std::string> kTopKeys = {"name", "run-name", "on",          "permissions",
                                        "env",  "defaults", "concurrency", "jobs"};
const std::set<std::string> kJobKeys = {"name",        "needs",
                                        "if",          "runs-on",
                                        "permissions", "environment",
                                        "concurrency", "outputs",
                                        "env",         "defaults",
                                        "steps",       "timeout-minutes",
                                        "strategy",    "continue-on-error",
                                        "container",   "services",
                                        "uses",        "with",
                                        "secrets"};
const std::set<std::string> kStepKeys = {"id",
                                         "if",
                                         "name",
                                         "uses",
                                         "run",
                                         "with",
                                         "env",
                                         "shell",
                                         "working-directory",
                                         "continue-on-error",
                                         "timeout-minutes"};
// Contexts an expression may use without their being defined in the file.
const std::set<std::string> kBuiltinContexts = {"github",  "env",    "vars", "runner",
                                                "secrets", "inputs", "job",  "strategy"};
const std::set<std::string> kStatusFunctions = {"always()", "success()", "failure()",
                                                "cancelled()"};

// Every `${{ ... }}` in `text`, trimmed.
std::vector<std::string> Expressions(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = text.find("${{"); at != std::string::npos; at = text.find("${{", at + 3)) {
    const size_t end = text.find("}}", at);
    if (end == std::string::npos) {
      out.push_back("<unterminated>");
      break;
    }
    std::string e = text.substr(at + 3, end - at - 3);
    e.erase(0, e.find_first_not_of(' '));
    e.erase(e.find_last_not_of(' ') + 1);
    out.push_back(e);
  }
  return out;
}

// Every scalar under `node`, as text (to find the expressions in it).
void Scalars(const YAML::Node& node, std::vector<std::string>* out) {
  if (node.IsScalar()) out->push_back(node.Scalar());
  if (node.IsSequence())
    for (const auto& n : node) Scalars(n, out);
  if (node.IsMap())
    for (const auto& kv : node) Scalars(kv.second, out);
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// What is wrong with a sharded workflow; empty when nothing is.
std::vector<std::string> Lint(const std::string& text) {
  std::vector<std::string> problems;
  auto problem = [&](const std::string& p) { problems.push_back(p); };
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return {std::string("not YAML: ") + e.what()};
  }
  if (!doc.IsMap()) return {"the workflow is not a mapping"};
  for (const auto& kv : doc) {
    if (!kTopKeys.count(kv.first.Scalar())) problem("unknown top-level key " + kv.first.Scalar());
  }
  if (!doc["on"] || !doc["on"]["schedule"] || !doc["on"]["workflow_dispatch"])
    problem("on: needs schedule and workflow_dispatch");
  const YAML::Node jobs = doc["jobs"];
  if (!jobs || !jobs.IsMap() || jobs.size() == 0) return {"no jobs"};

  // Per job: keys, needs, steps, expressions.
  std::string shard_job, merge_job;
  int shard_n = 0;
  bool sim_soak = false;                  // a step runs raft_sim_test with RAFT_SIM_SCALE=F, F > 1
  std::vector<std::string> upload_names;  // the shard job's artifact names, per shard value
  for (const auto& job_kv : jobs) {
    const std::string job = job_kv.first.Scalar();
    const YAML::Node j = job_kv.second;
    if (!j.IsMap()) {
      problem(job + ": not a mapping");
      continue;
    }
    for (const auto& kv : j) {
      if (!kJobKeys.count(kv.first.Scalar())) problem(job + ": unknown key " + kv.first.Scalar());
    }
    if (!j["runs-on"]) problem(job + ": no runs-on");
    std::set<std::string> needs;
    if (j["needs"]) {
      if (j["needs"].IsScalar()) needs.insert(j["needs"].Scalar());
      if (j["needs"].IsSequence())
        for (const auto& n : j["needs"]) needs.insert(n.Scalar());
    }
    for (const auto& n : needs) {
      if (!jobs[n] || n == job) problem(job + ": needs " + n + ", which is not another job");
    }
    std::map<std::string, std::vector<std::string>> matrix;
    if (j["strategy"] && j["strategy"]["matrix"]) {
      for (const auto& kv : j["strategy"]["matrix"]) {
        for (const auto& v : kv.second) matrix[kv.first.Scalar()].push_back(v.Scalar());
      }
    }
    std::set<std::string> step_ids;
    const YAML::Node steps = j["steps"];
    if (!steps || !steps.IsSequence() || steps.size() == 0) problem(job + ": no steps");
    // Expressions outside the steps see the matrix and needs; a step's see the steps before it.
    auto check_expression = [&](const std::string& where, const std::string& e) {
      if (e == "<unterminated>") return problem(where + ": an unterminated ${{");
      if (kStatusFunctions.count(e)) return;
      const std::string head = e.substr(0, e.find_first_of(". "));
      const std::string rest = e.find('.') == std::string::npos ? "" : e.substr(e.find('.') + 1);
      const std::string name = rest.substr(0, rest.find_first_of(". "));
      if (head == "matrix") {
        if (!matrix.count(name)) problem(where + ": ${{ " + e + " }}: no matrix key " + name);
      } else if (head == "steps") {
        if (!step_ids.count(name)) problem(where + ": ${{ " + e + " }}: no earlier step " + name);
      } else if (head == "needs") {
        if (!needs.count(name)) problem(where + ": ${{ " + e + " }}: " + name + " not in needs");
      } else if (!kBuiltinContexts.count(head)) {
        problem(where + ": ${{ " + e + " }}: unknown context " + head);
      }
    };
    for (const auto& kv : j) {
      if (kv.first.Scalar() == "steps") continue;
      std::vector<std::string> texts;
      Scalars(kv.second, &texts);
      for (const auto& t : texts)
        for (const auto& e : Expressions(t)) check_expression(job + "." + kv.first.Scalar(), e);
    }
    if (j["if"]) {
      const std::string cond = j["if"].Scalar();
      if (!kStatusFunctions.count(cond)) check_expression(job + ".if", cond);
    }
    bool runs_merge = false, exits_with_code = false;
    std::string download_pattern, download_path, merge_into;
    for (size_t i = 0; steps && steps.IsSequence() && i < steps.size(); ++i) {
      const YAML::Node s = steps[i];
      const std::string where = job + ".steps[" + std::to_string(i) + "]";
      for (const auto& kv : s) {
        if (!kStepKeys.count(kv.first.Scalar()))
          problem(where + ": unknown key " + kv.first.Scalar());
      }
      if (!!s["uses"] == !!s["run"]) problem(where + ": needs exactly one of uses and run");
      if (s["uses"] && s["uses"].Scalar().find('@') == std::string::npos)
        problem(where + ": " + s["uses"].Scalar() + " names no version");
      std::vector<std::string> texts;
      Scalars(s, &texts);
      for (const auto& t : texts)
        for (const auto& e : Expressions(t)) check_expression(where, e);
      if (s["if"] && !kStatusFunctions.count(s["if"].Scalar()) &&
          s["if"].Scalar().find("${{") == std::string::npos)
        check_expression(where + ".if", s["if"].Scalar());
      if (s["id"]) step_ids.insert(s["id"].Scalar());
      const std::string uses = s["uses"] ? s["uses"].Scalar() : "";
      const std::string run = s["run"] ? s["run"].Scalar() : "";
      // The shard's run: `splitbrain run PLAN --shard ${{ matrix.shard }}/N`.
      if (const size_t at = run.find("--shard "); at != std::string::npos) {
        shard_job = job;
        const std::string arg = run.substr(at + 8, run.find_first_of("\n", at) - at - 8);
        const std::string want = "${{ matrix.shard }}/";
        if (arg.rfind(want, 0) != 0) {
          problem(where + ": --shard " + arg + " is not ${{ matrix.shard }}/N");
        } else {
          shard_n = std::atoi(arg.c_str() + want.size());
        }
      }
      const std::vector<std::string> words = Words(run);
      for (size_t w = 0; w + 1 < words.size(); ++w) {
        if (words[w] == "merge" && w > 0 && words[w - 1].find("splitbrain") != std::string::npos)
          runs_merge = true;
        if (words[w] == "--into") merge_into = words[w + 1];
      }
      if (run.find("exit $code") != std::string::npos) exits_with_code = true;
      if (const size_t at = run.find("RAFT_SIM_SCALE=");
          at != std::string::npos && run.find("raft_sim_test", at) != std::string::npos &&
          std::atof(run.c_str() + at + 15) > 1)
        sim_soak = true;
      if (uses.rfind("actions/upload-artifact@", 0) == 0 && s["with"] && s["with"]["name"] &&
          !matrix.empty()) {
        // One name per shard: the matrix expression replaced by each of its values.
        const std::string name = s["with"]["name"].Scalar();
        const std::string expr = "${{ matrix.shard }}";
        const size_t at = name.find(expr);
        if (at == std::string::npos) problem(where + ": artifact " + name + " is not per shard");
        for (const auto& v : matrix["shard"]) {
          upload_names.push_back(at == std::string::npos
                                     ? name
                                     : name.substr(0, at) + v + name.substr(at + expr.size()));
        }
      }
      if (uses.rfind("actions/download-artifact@", 0) == 0 && s["with"]) {
        download_pattern = s["with"]["pattern"] ? s["with"]["pattern"].Scalar() : "";
        download_path = s["with"]["path"] ? s["with"]["path"].Scalar() : "";
      }
    }
    if (!matrix.empty()) {
      if (!matrix.count("shard")) problem(job + ": a matrix without a shard key");
      for (size_t k = 0; k < matrix["shard"].size(); ++k) {
        if (matrix["shard"][k] != std::to_string(k + 1))
          problem(job + ": matrix.shard must be 1, 2, ..., N in order; item " +
                  std::to_string(k + 1) + " is " + matrix["shard"][k]);
      }
      if (!j["strategy"]["fail-fast"] || j["strategy"]["fail-fast"].Scalar() != "false")
        problem(job + ": strategy.fail-fast must be false (one shard's failure cancels the rest)");
    }
    if (runs_merge) {
      merge_job = job;
      if (!needs.count(shard_job.empty() ? "shard" : shard_job))
        problem(job + ": the merge job must need the shard job");
      if (!j["if"] || j["if"].Scalar().find("always()") == std::string::npos)
        problem(job + ": the merge job must run when shards fail (if: always())");
      if (!exits_with_code) problem(job + ": the merge step must exit with merge's code");
      if (download_pattern.empty()) problem(job + ": downloads no artifact pattern");
      for (const auto& name : upload_names) {
        if (fnmatch(download_pattern.c_str(), name.c_str(), 0) != 0)
          problem(job + ": download pattern " + download_pattern + " misses artifact " + name);
      }
      if (!text.empty() && text.find("merge " + download_path + "/*/") == std::string::npos)
        problem(job + ": splitbrain merge is not given the downloaded stores (" + download_path +
                "/*/)");
      if (merge_into.empty()) problem(job + ": splitbrain merge has no --into");
    }
    if (job == shard_job && upload_names.empty()) problem(job + ": uploads no store");
  }
  if (shard_job.empty()) problem("no job runs splitbrain run --shard");
  if (merge_job.empty()) problem("no job runs splitbrain merge");
  // The suite runs the simulator's safety tests at a fraction of their seeds (suite time): the
  // nightly owes the rest.
  if (!sim_soak) problem("no job runs the simulation soak (RAFT_SIM_SCALE=F raft_sim_test, F > 1)");
  if (shard_n <= 0 || shard_n != static_cast<int>(upload_names.size()))
    problem("--shard K/" + std::to_string(shard_n) + " but the matrix has " +
            std::to_string(upload_names.size()) + " shards");
  return problems;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(NightlyWorkflow, IsAShardMatrixMergedByAFinalJob) {
  const std::string text = ReadWorkflow();
  ASSERT_FALSE(text.empty()) << "no .github/workflows/nightly.yml";
  const auto problems = Lint(text);
  EXPECT_TRUE(problems.empty()) << Joined(problems);
  EXPECT_NE(text.find("splitbrain run plans/nightly.yaml --shard"), std::string::npos);
}

// The lint finds what it is for: each mutation of the real file is one mistake it must name.
TEST(NightlyWorkflow, LintCatchesTheMistakesThatWouldSplitTheNightlyWrongly) {
  const std::string text = ReadWorkflow();
  struct Case {
    std::string from, to, says;
  };
  const Case cases[] = {
      {"shard: [1, 2, 3, 4]", "shard: [1, 2, 3]", "--shard K/4 but the matrix has 3 shards"},
      {"shard: [1, 2, 3, 4]", "shard: [1, 2, 4, 3]", "matrix.shard must be 1, 2, ..., N"},
      {"--shard ${{ matrix.shard }}/4", "--shard ${{ matrix.shrad }}/4", "no matrix key shrad"},
      {"pattern: splitbrain-store-shard-*", "pattern: splitbrain-shard-*",
       "download pattern splitbrain-shard-* misses artifact splitbrain-store-shard-1"},
      {"    needs: shard\n", "    needs: shards\n", "needs shards, which is not another job"},
      {"    if: always()            # merge", "    if: success()            # merge",
       "must run when shards fail"},
      {"${{ needs.shard.result }}", "${{ needs.build.result }}", "build not in needs"},
      {"fail-fast: false", "fail-fast: true", "fail-fast must be false"},
      {"      - name: Download every shard's store\n",
       "      - nmae: Download every shard's store\n", "unknown key nmae"},
      {"uses: actions/checkout@v4", "uses: actions/checkout", "names no version"},
      {"jobs:\n", "jobs: [\n", "not YAML"},
      {"RAFT_SIM_SCALE=20 ", "", "no job runs the simulation soak"},
      {"RAFT_SIM_SCALE=20 ", "RAFT_SIM_SCALE=1 ", "no job runs the simulation soak"},
  };
  for (const auto& c : cases) {
    const size_t at = text.find(c.from);
    ASSERT_NE(at, std::string::npos) << "the workflow no longer has: " << c.from;
    std::string broken = text;
    broken.replace(at, c.from.size(), c.to);
    const std::string found = Joined(Lint(broken));
    EXPECT_NE(found.find(c.says), std::string::npos)
        << "changing '" << c.from << "' should give '" << c.says << "'; got:\n"
        << found;
  }
}

}  // namespace
}  // namespace splitbrain::harness

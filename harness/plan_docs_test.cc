// Every name a plan may use — fault, workload, checker, system — is documented in
// plans/README.md: the registries are the only lists of names, and this ties them to the docs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "checker/checker.h"
#include "harness/plan.h"
#include "harness/systems/catalog.h"
#include "nemesis/fault_kind.h"
#include "workloads/workload.h"

namespace splitbrain::harness {
namespace {

std::string PlansReadme() {
  // A path, not `std::string(DIR) + "/README.md"`: g++ 12 at -O2 sees a bounds error in that
  // concatenation that is not there (-Warray-bounds), for some lengths of the clone's path.
  std::ifstream in(std::filesystem::path(SPLITBRAIN_PLANS_DIR) / "README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `name` appears as a whole word: not inside a longer name such as kill-leader.
bool Mentions(const std::string& text, const std::string& name) {
  auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; };
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const bool starts = at == 0 || !part(text[at - 1]);
    const bool ends = at + name.size() == text.size() || !part(text[at + name.size()]);
    if (starts && ends) return true;
  }
  return false;
}

TEST(PlanDocsTest, EveryRegisteredNameIsInPlansReadme) {
  const std::string readme = PlansReadme();
  ASSERT_FALSE(readme.empty()) << "cannot read plans/README.md";
  for (const auto& name : nemesis::FaultNames()) {
    EXPECT_NE(readme.find("`" + name + "`"), std::string::npos) << "fault " << name;
  }
  for (const auto& name : workloads::WorkloadNames())
    EXPECT_TRUE(Mentions(readme, name)) << "workload " << name;
  for (const auto& name : checker::CheckerNames())
    EXPECT_TRUE(Mentions(readme, name)) << "checker " << name;
  for (const auto& name : SystemNames()) EXPECT_TRUE(Mentions(readme, name)) << "system " << name;
}

// The workloads name their model and checkers; the checker registry must know them. (counter
// and bank name no linearizable model: their own checkers judge them.)
TEST(PlanDocsTest, EveryWorkloadsModelAndCheckersAreRegisteredCheckers) {
  const auto models = checker::LinearizableModels();
  std::vector<std::string> checkers;
  for (const auto& c : checker::CheckerKinds()) checkers.push_back(c.name);
  for (const auto& c : checker::CheckerKinds()) {
    if (c.name == "linearizable") {
      EXPECT_EQ(c.models, models) << "the registry's models";
    }
  }
  for (const auto& kind : workloads::WorkloadKinds()) {
    SCOPED_TRACE(kind.name);
    workloads::WorkloadConfig config;
    config.name = kind.name;
    auto w = workloads::MakeWorkload(config);
    ASSERT_TRUE(w.ok()) << w.status();
    // A workload checked for linearizability names a model the checker has.
    const auto& dc = kind.default_checkers;
    if (std::find(dc.begin(), dc.end(), "linearizable") != dc.end()) {
      const std::string& model = kind.model;
      EXPECT_NE(std::find(models.begin(), models.end(), model), models.end()) << model;
    }
    for (const auto& c : kind.default_checkers) {
      EXPECT_NE(std::find(checkers.begin(), checkers.end(), c), checkers.end()) << c;
    }
  }
  auto unknown = checker::CheckLinearizable(records::History{}, {.model = "priority-queue"});
  ASSERT_FALSE(unknown.ok());
  for (const auto& m : models) {
    EXPECT_NE(unknown.status().message().find(m + " ("), std::string::npos) << unknown.status();
  }
}

TEST(PlanDocsTest, MentionsIsAWholeWordMatch) {
  EXPECT_TRUE(Mentions("faults: `kill`, `kill-leader`", "kill"));
  EXPECT_FALSE(Mentions("faults: `kill-leader`", "kill"));
  EXPECT_FALSE(Mentions("faults: `pause-leader`", "leader"));
}

}  // namespace
}  // namespace splitbrain::harness

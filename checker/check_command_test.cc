#include "checker/check_command.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/history_gen.h"
#include "checker/memory_budget.h"

namespace splitbrain::checker {
namespace {

class CheckCommandTest : public ::testing::Test {
 protected:
  // Each test's files in a directory of its own: ctest runs these tests as separate processes
  // two at a time, and two of them writing /tmp/sb-check-command/valid.jsonl at once let one
  // read the file the other had just truncated — an empty history, unknown, exit 2 (seen once
  // in a clean-clone CI run).
  std::string File(const std::string& name, const std::string& text) {
    auto dir = std::filesystem::temp_directory_path() /
               ("sb-check-command-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    dirs_.push_back(dir);
    auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCheckCommand(args, out_, err_);
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto& d : dirs_) std::filesystem::remove_all(d, ec);
  }
  std::ostringstream out_, err_;
  std::vector<std::filesystem::path> dirs_;
};

const char* kValid = R"({"process":0,"type":"invoke","f":"write","value":3}
{"process":0,"type":"ok","f":"write","value":3}
{"process":1,"type":"invoke","f":"read","value":null}
{"process":1,"type":"ok","f":"read","value":3}
)";

TEST_F(CheckCommandTest, ExitCodes) {
  std::string valid = File("valid.jsonl", kValid);
  EXPECT_EQ(Run({"--model", "register", valid}), 0) << err_.str();
  std::string bad = kValid;
  bad.replace(bad.rfind("\"value\":3"), 9, "\"value\":4");
  std::string invalid = File("invalid.jsonl", bad);
  EXPECT_EQ(Run({"--model", "register", invalid}), 1);
  EXPECT_NE(out_.str().find("invalid"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"--model", "register", invalid, "--json"}), 1);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["details"]["op"]["process"], 1);
  std::string broken = File("broken.jsonl", std::string(kValid) + "{\"process\":2,\n");
  // Bad input and bad usage: 255, as for `run` (2 is reserved for an unknown verdict).
  EXPECT_EQ(Run({"--model", "register", broken}), 255);
  EXPECT_NE(err_.str().find("broken.jsonl:5"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--model", "priority-queue", valid}), 255);
  EXPECT_EQ(Run({"--model", "register", "/nonexistent/h.jsonl"}), 255);
  EXPECT_NE(err_.str().find("/nonexistent/h.jsonl: no such file"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--model", "register"}), 255);
  EXPECT_EQ(Run({"--bogus", valid}), 255);
  EXPECT_EQ(Run({"--model", "register", "--initial", "3", valid}), 0);
}

TEST_F(CheckCommandTest, SeveralFiles) {
  std::string valid = File("valid.jsonl", kValid);
  std::string bad = kValid;
  bad.replace(bad.rfind("\"value\":3"), 9, "\"value\":4");
  std::string invalid = File("invalid.jsonl", bad);
  EXPECT_EQ(Run({"--model", "register", valid, valid}), 0);
  EXPECT_EQ(Run({"--model", "register", valid, invalid}), 1);
  EXPECT_EQ(Run({"--model", "register", valid, invalid, "/nonexistent.jsonl"}), 255);
  EXPECT_EQ(Run({"--model", "register", valid, "/nonexistent.jsonl"}), 255);
  EXPECT_EQ(Run({"--json", "--model", "register", valid, invalid}), 1);
  std::istringstream lines(out_.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

TEST_F(CheckCommandTest, BudgetExhaustedIsUnknown) {
  GenOptions g;
  g.seed = 11;
  g.processes = 40;
  g.ops = 20000;
  g.values = 3;
  g.max_duration = 400;
  std::string f = File("hard.jsonl", HistoryToJsonl(GenerateRegisterHistory(g)));
  EXPECT_EQ(Run({"--model", "register", f, "--max-memory", "0.001"}), 2);
  EXPECT_NE(out_.str().find("unknown"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"--model", "register", f, "--timeout", "0.000001", "--json"}), 2);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["valid"], "unknown");
}

// Was: valid, exit 0, "0 ops": a history with no operations proves nothing.
TEST_F(CheckCommandTest, EmptyHistoryProvesNothing) {
  std::string empty = File("empty.jsonl", "");
  EXPECT_EQ(Run({empty}), 2) << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("unknown"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("no operations"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("proves nothing"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"--model", "register", empty, "--json"}), 2);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["valid"], "unknown");
  std::string blank = File("blank.jsonl", "\n\n");
  EXPECT_EQ(Run({"--model", "kv", blank}), 2);
}

// Was: no --max-memory meant no budget (a 50-process history grew to 9.3 GB), and --timeout's
// documented default of 60 s was not applied.
TEST_F(CheckCommandTest, DefaultBudgetIsAShareOfTheMachineAndIsSaid) {
  std::string valid = File("valid.jsonl", kValid);
  ASSERT_EQ(Run({"--model", "register", valid, "--json"}), 0);
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["budget"]["max_memory_bytes"], DefaultMemoryBudgetBytes()) << j.dump();
  EXPECT_EQ(j["budget"]["timeout_s"], 60.0) << j.dump();
  ASSERT_EQ(Run({"--model", "register", valid}), 0);
  const std::string mb =
      std::to_string(static_cast<int64_t>(DefaultMemoryBudgetBytes() / 1048576.0 + 0.5)) + " MB";
  EXPECT_NE(out_.str().find("budget 60 s, " + mb), std::string::npos) << out_.str();
  // 0 means none, for both.
  ASSERT_EQ(Run({"--model", "register", valid, "--max-memory", "0", "--timeout", "0", "--json"}),
            0);
  j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["budget"]["max_memory_bytes"], 0);
  EXPECT_EQ(j["budget"]["timeout_s"], 0.0);
  ASSERT_EQ(Run({"--model", "register", valid, "--max-memory", "100"}), 0);
  EXPECT_NE(out_.str().find("budget 60 s, 100 MB"), std::string::npos) << out_.str();
  // Running out says which budget, and how large it was.
  GenOptions g;
  g.seed = 11;
  g.processes = 40;
  g.ops = 20000;
  g.values = 3;
  g.max_duration = 400;
  std::string hard = File("hard2.jsonl", HistoryToJsonl(GenerateRegisterHistory(g)));
  EXPECT_EQ(Run({"--model", "register", hard, "--max-memory", "1"}), 2);
  EXPECT_NE(out_.str().find("the memory budget (1 MB) ran out"), std::string::npos) << out_.str();
}

// Was: std::bad_alloc (exit 134) reading a directory as a file.
TEST_F(CheckCommandTest, DirectoryIsRefusedWithOneClearMessage) {
  const std::string dir = std::filesystem::path(File("x.jsonl", kValid)).parent_path().string();
  EXPECT_EQ(Run({"--model", "register", dir}), 255);
  EXPECT_EQ(err_.str(), "splitbrain check: " + dir +
                            ": is a directory, not a history file (a run's history is its "
                            "history.jsonl)\n");
  EXPECT_EQ(out_.str(), "");
  // Through the executable too: no abort.
  int rc =
      std::system((std::string(SPLITBRAIN_CHECK_BIN) + " check " + dir + " 2>/dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(rc)) << "killed by a signal";
  EXPECT_EQ(WEXITSTATUS(rc), 255);
}

TEST_F(CheckCommandTest, UnreadableAndNonHistoryFilesExit255) {
  std::string garbage = File("garbage.jsonl", "\x01\x02 not json at all\n");
  EXPECT_EQ(Run({"--model", "register", garbage}), 255);
  EXPECT_NE(err_.str().find("garbage.jsonl:1"), std::string::npos) << err_.str();
  // A Jepsen EDN file cut off in the middle.
  std::string cut = File("cut.edn", "[{:process 0, :type :invoke, :f :read, :value nil}\n{:proc");
  EXPECT_EQ(Run({"--model", "register", cut}), 255);
  EXPECT_NE(err_.str().find("cut.edn"), std::string::npos) << err_.str();
}

// Was: no --model silently meant register.
TEST_F(CheckCommandTest, ModelIsInferredFromTheOperationsAndSaid) {
  std::string reg = File("reg.jsonl", kValid);
  EXPECT_EQ(Run({reg}), 0) << err_.str();
  EXPECT_NE(err_.str().find("model register, inferred from its operations (read, write)"),
            std::string::npos)
      << err_.str();
  std::string kv = File("kv.jsonl", R"({"process":0,"type":"invoke","f":"put","key":"a","value":"x"}
{"process":0,"type":"ok","f":"put","key":"a","value":"x"}
{"process":1,"type":"invoke","f":"get","key":"a","value":null}
{"process":1,"type":"ok","f":"get","key":"a","value":"x"}
)");
  EXPECT_EQ(Run({kv, "--json"}), 0) << err_.str();
  auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["model"], "kv");
  EXPECT_EQ(j["model_inferred"], true);
  EXPECT_NE(err_.str().find("model kv"), std::string::npos) << err_.str();
  // With --model register, the same kv history is refused, naming the operation.
  EXPECT_EQ(Run({"--model", "register", kv}), 255);
  EXPECT_NE(err_.str().find("\"put\" is not in the register model"), std::string::npos)
      << err_.str();
  // Reads only fit both register and set: the command asks rather than guesses.
  std::string reads = File("reads.jsonl", R"({"process":0,"type":"invoke","f":"read","value":null}
{"process":0,"type":"ok","f":"read","value":null}
)");
  EXPECT_EQ(Run({reads}), 255);
  EXPECT_NE(err_.str().find("fit register or set: say which with --model"), std::string::npos)
      << err_.str();
  std::string mixed =
      File("mixed.jsonl", R"({"process":0,"type":"invoke","f":"put","key":"a","value":"x"}
{"process":0,"type":"ok","f":"put","key":"a","value":"x"}
{"process":1,"type":"invoke","f":"acquire","value":null}
{"process":1,"type":"ok","f":"acquire","value":1}
)");
  EXPECT_EQ(Run({mixed}), 255);
  EXPECT_NE(err_.str().find("fit no model"), std::string::npos) << err_.str();
}

TEST_F(CheckCommandTest, HelpListsEveryFlagAndTheExitCodes) {
  EXPECT_EQ(Run({"--help"}), 0);
  for (const char* flag : {"--model", "--json", "--timeout", "--max-memory", "--initial",
                           "--threads", "--help", "exit codes", "255", "docs:"}) {
    EXPECT_NE(out_.str().find(flag), std::string::npos) << flag;
  }
}

TEST_F(CheckCommandTest, TheExecutable) {
  std::string valid = File("exe.jsonl", kValid);
  int rc = std::system(
      (std::string(SPLITBRAIN_CHECK_BIN) + " check --model register " + valid + " > /dev/null")
          .c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 0);
}

}  // namespace
}  // namespace splitbrain::checker

#include "checker/check_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/history_gen.h"

namespace splitbrain::checker {
namespace {

class CheckCommandTest : public ::testing::Test {
 protected:
  std::string File(const std::string& name, const std::string& text) {
    auto dir = std::filesystem::temp_directory_path() / "sb-check-command";
    std::filesystem::create_directories(dir);
    auto p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunCheckCommand(args, out_, err_);
  }
  std::ostringstream out_, err_;
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
  EXPECT_EQ(Run({"--model", "register", broken}), 2);
  EXPECT_NE(err_.str().find("broken.jsonl:5"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--model", "queue", valid}), 2);
  EXPECT_EQ(Run({"--model", "register", "/nonexistent/h.jsonl"}), 2);
  EXPECT_EQ(Run({"--model", "register"}), 2);
  EXPECT_EQ(Run({"--bogus", valid}), 2);
  EXPECT_EQ(Run({"--model", "register", "--initial", "3", valid}), 0);
}

TEST_F(CheckCommandTest, SeveralFiles) {
  std::string valid = File("valid.jsonl", kValid);
  std::string bad = kValid;
  bad.replace(bad.rfind("\"value\":3"), 9, "\"value\":4");
  std::string invalid = File("invalid.jsonl", bad);
  EXPECT_EQ(Run({"--model", "register", valid, valid}), 0);
  EXPECT_EQ(Run({"--model", "register", valid, invalid, "/nonexistent.jsonl"}), 1);
  EXPECT_EQ(Run({"--model", "register", valid, "/nonexistent.jsonl"}), 2);
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

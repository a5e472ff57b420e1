// Unit tests of the SSH agent script (ssh_agent.h) run here with `sh`, on commands that touch
// nothing but a temp directory standing in for splitbrain's directory on a host (never nft,
// never a member): its syntax, `faketime` (the clock-skew refusal naming what is missing),
// `put` (a member's file replaced whole, names with a path refused), `install` (a program
// needing libraries the host lacks refused, naming them) and `fs-mount` of a
// splitbrain-fs that cannot start (why, and nothing left mounted or running).
#include "harness/ssh_agent.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/subprocess.h"
#include "harness/testing/run_files.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;

class SshAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("ssh_agent_test_" + std::to_string(getpid()));
    fs::create_directories(home_);
    std::ofstream(home_ / "agent.sh") << AgentScript();
  }
  void TearDown() override { fs::remove_all(home_); }
  CommandResult Agent(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"sh", (home_ / "agent.sh").string(), home_.string()});
    auto r = RunCommand(args, input);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CommandResult{};
  }
  fs::path home_;
};

TEST_F(SshAgentTest, AgentScriptIsValidShell) {
  auto r = RunCommand({"sh", "-n", (home_ / "agent.sh").string()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->output;
}

TEST_F(SshAgentTest, FaketimeIsFoundOrRefusedNamingWhatIsMissing) {
  const std::string lib = (home_ / "libfaketime.so.1").string();
  auto r = Agent({"faketime", "/nonexistent/a/libfaketime.so.1", lib});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output,
            "clock-skew needs libfaketime (Debian package libfaketime), found at none of: "
            "/nonexistent/a/libfaketime.so.1 " +
                lib + "\n");
  std::ofstream(lib) << "x";
  r = Agent({"faketime", "/nonexistent/a/libfaketime.so.1", lib});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, lib + "\n");
}

TEST_F(SshAgentTest, PutReplacesAMemberFileWholeAndRefusesPaths) {
  auto r = Agent({"put", "nats.conf"}, "listen: 1\n");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Agent({"put", "nats.conf"}, "listen: 2\n");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFile(home_ / "member" / "nats.conf"), "listen: 2\n");
  EXPECT_FALSE(fs::exists(home_ / "member" / "nats.conf.tmp"));
  for (const char* bad : {"../agent.sh", "a/b", "..", ""}) {
    r = Agent({"put", bad}, "overwritten\n");
    EXPECT_EQ(r.exit_code, 64) << bad;
    EXPECT_NE(r.output.find("not a plain file name"), std::string::npos) << r.output;
  }
  EXPECT_NE(ReadFile(home_ / "agent.sh"), "overwritten\n");
}

// A copied member program that needs a shared library the host lacks is refused and not kept,
// naming the library (a release splitbrain-node links tcmalloc): /bin/true with its libc renamed
// to a library that exists nowhere; /bin/true itself is installed.
TEST_F(SshAgentTest, InstallRefusesAProgramWhoseSharedLibrariesTheHostLacks) {
  std::string program = ReadFile("/bin/true");
  ASSERT_FALSE(program.empty());
  std::string broken = program;
  const std::string libc("libc.so.6\0", 10);
  const auto at = broken.find(libc);
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, libc.size(), std::string("libq.so.6\0", 10));
  auto r = Agent({"install", "member-program"}, broken);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "member-program needs shared libraries this host lacks: libq.so.6\n");
  EXPECT_FALSE(fs::exists(home_ / "bin" / "member-program"));
  EXPECT_FALSE(fs::exists(home_ / "bin" / "member-program.tmp"));
  r = Agent({"install", "member-program"}, program);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadFile(home_ / "bin" / "member-program"), program);
  EXPECT_EQ(access((home_ / "bin" / "member-program").c_str(), X_OK), 0);
}

TEST_F(SshAgentTest, FsMountThatCannotStartSaysWhyAndLeavesNothing) {
  auto r = Agent({"fs-mount", "/nonexistent/splitbrain-fs", "sb-agent-test"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(
      r.output.find("splitbrain-fs could not mount " + (home_ / "member" / "data").string() + ": "),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("/nonexistent/splitbrain-fs"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(home_ / "fs.pid")) << "a pid file of nothing";
  EXPECT_TRUE(fs::is_directory(home_ / "member" / "data.graveyard"));
  // Nothing mounted: unmounting is a no-op that succeeds.
  r = Agent({"fs-unmount"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

}  // namespace
}  // namespace splitbrain::harness

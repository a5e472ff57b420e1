// Unit tests of RunCommand (subprocess.h): a command that exits without reading its input.
#include "harness/subprocess.h"

#include <signal.h>

#include <gtest/gtest.h>

#include <string>

namespace splitbrain::harness {
namespace {

// Found in CI (SshAgentTest, `agent put` refusing a name before reading its input): writing the
// input to a child that had exited raised SIGPIPE and killed the caller. A megabyte cannot fit in
// the pipe, so the write meets the closed pipe every time, not only when the child is quick.
TEST(RunCommandTest, AChildThatReadsNoInputIsReportedNotFatal) {
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGPIPE, nullptr, &old), 0);
  ASSERT_EQ(old.sa_handler, SIG_DFL) << "the test must run with SIGPIPE's default action";
  auto r = RunCommand({"sh", "-c", "echo refused; exit 64"}, std::string(1 << 20, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 64);
  EXPECT_EQ(r->output, "refused\n");
  // The signal was not left pending for the thread either.
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  // Input still reaches a child that reads it.
  r = RunCommand({"wc", "-c"}, std::string(1 << 20, 'x'));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->output, "1048576\n");
}

}  // namespace
}  // namespace splitbrain::harness

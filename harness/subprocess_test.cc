// Unit tests of RunCommand and ManagedProcess (subprocess.h): a command that exits without
// reading its input; what a child starts with (descriptors, signals, group, environment).
#include "harness/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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

// The deadline holds while the input is written: a child that neither reads its input nor exits
// (a tool stuck before reading) was waited for as long as it lived, the write blocking on a full
// pipe before the deadline was ever looked at.
TEST(RunCommandTest, TheDeadlineHoldsWhileTheInputIsWritten) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = RunCommand({"sleep", "10"}, std::string(1 << 20, 'x'), std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout)
      << (r.ok() ? "it finished" : r.status().message());
  EXPECT_LT(took, std::chrono::seconds(5)) << "waited for the child instead of the deadline";
}

// A child starts clean, whatever the harness holds: no descriptor of ours beyond its three (a
// node holding the harness's sockets or another node's pipe keeps them open after we close
// them — Boost.Process's fork passed every descriptor opened without O_CLOEXEC), no blocked
// signal, SIGPIPE not ignored (the harness ignores it), and a long-lived child leads its own
// process group.
// The standard signals (1-31) a process's /proc status line ("SigIgn:\t<hex>") holds; glibc's own
// real-time signals 32 and 33 are left out (posix_spawn leaves them ignored until the child's
// libc installs its handlers).
uint64_t StandardSignals(const std::string& status, const std::string& line) {
  const size_t at = status.find(line + ":\t");
  if (at == std::string::npos) return ~0ull;
  return std::stoull(status.substr(at + line.size() + 2, 16), nullptr, 16) & 0x7fffffffull;
}

TEST(SubprocessTest, AChildStartsWithOnlyItsOwnDescriptorsAndDefaultSignals) {
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as asio's sockets
  ASSERT_GE(leaked, 3);
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &old), 0);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);

  const std::string probe =
      "ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign)' /proc/self/status";
  auto r = RunCommand({"sh", "-c", probe});
  const std::string log = ::testing::TempDir() + "/subprocess-managed.log";
  std::filesystem::remove(log);
  ManagedProcess p;
  const std::string group_and_env =
      "; echo pgid $(cut -d' ' -f5 /proc/$$/stat) pid $$; echo env $SPLITBRAIN_PROBE";
  Status started = p.Start({"sh", "-c", probe + group_and_env}, log, {{"SPLITBRAIN_PROBE", "yes"}});
  const pid_t pid = p.pid();
  for (int i = 0; i < 500 && p.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old, nullptr);
  close(leaked);

  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  // ls's own directory descriptor is its only one beyond 0-2.
  EXPECT_EQ(r->output.substr(0, r->output.find('\n')), "0 1 2 3 ") << r->output;
  EXPECT_EQ(StandardSignals(r->output, "SigBlk"), 0u) << r->output;
  EXPECT_EQ(StandardSignals(r->output, "SigIgn"), 0u) << r->output;

  ASSERT_TRUE(started.ok()) << started;
  EXPECT_FALSE(p.Running());
  EXPECT_EQ(p.exit_code(), 0);
  std::ifstream in(log);
  std::stringstream got;
  got << in.rdbuf();
  const std::string out = got.str();
  EXPECT_EQ(out.substr(0, out.find('\n')), "0 1 2 3 ") << out;
  EXPECT_EQ(StandardSignals(out, "SigBlk"), 0u) << out;
  EXPECT_EQ(StandardSignals(out, "SigIgn"), 0u) << out;
  EXPECT_NE(out.find("pgid " + std::to_string(pid) + " pid " + std::to_string(pid)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("env yes"), std::string::npos) << out;
}

TEST(SubprocessTest, AMissingProgramIsAnErrorNamingIt) {
  auto r = RunCommand({"/nonexistent/splitbrain-tool"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot run /nonexistent/splitbrain-tool: No such file"),
            std::string::npos)
      << r.status();
  ManagedProcess p;
  Status s = p.Start({"/nonexistent/splitbrain-node"}, ::testing::TempDir() + "/missing.log");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot start /nonexistent/splitbrain-node: No such file"),
            std::string::npos)
      << s;
  EXPECT_FALSE(p.Running());
}

// Every call runs at once: each waits (10 s at most) until all three have begun, which calls
// made one after another never see; the error returned is the first by index, not by time.
TEST(ForEachAtOnceTest, RunsEveryCallAtOnceAndReturnsTheFirstErrorByIndex) {
  std::atomic<int> begun{0};
  const Status s = ForEachAtOnce(3, [&](size_t i) -> Status {
    ++begun;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (begun.load() < 3 && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (begun.load() < 3) return Status::Timeout("call " + std::to_string(i) + " ran alone");
    if (i == 1) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // fails last
    return i == 0 ? Status::Ok() : Status::InvalidArgument("call " + std::to_string(i));
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(s.message(), "call 1");
  EXPECT_TRUE(ForEachAtOnce(0, [](size_t) { return Status::Internal("never called"); }).ok());
}

}  // namespace
}  // namespace splitbrain::harness

// VolatileCacheEnv on real files: the process sees every byte it wrote, the disk only what was
// fsynced, and a real SIGKILL (a forked child kills itself) loses exactly the rest — so the
// planted bug no-fsync loses acknowledged entries and the correct storage loses none. And
// PosixEnv's preallocated WAL segments: zeros ahead of the appends, read back as the log's end.
#include "node/env.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "node/storage.h"
#include "node/test_util.h"

namespace splitbrain::node {
namespace {

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sb-env-test-XXXXXX").string();
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

std::string OnDisk(const std::string& path) {
  auto r = PosixEnv()->ReadFile(path);
  return r.ok() ? *r : "<" + r.status().message() + ">";
}

// Runs `body` in a forked child that then SIGKILLs itself; false when the child did not die of
// that SIGKILL (the body failed: it exits 1 instead).
bool RunAndSigkill(const std::function<bool()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!body()) ::_exit(1);
    ::kill(::getpid(), SIGKILL);
    ::_exit(2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

using testing::E;

TEST(VolatileCacheEnv, ReadsSeeTheTailTheDiskGetsItOnlyAtSync) {
  const std::string dir = TempDir();
  const std::string path = dir + "/f";
  VolatileCacheEnv env;
  auto f = env.OpenWritable(path, /*truncate=*/true);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE((*f)->Append("abc").ok());
  EXPECT_EQ(*env.ReadFile(path), "abc");
  EXPECT_EQ(OnDisk(path), "");
  EXPECT_EQ(env.unsynced_bytes(), 3u);
  ASSERT_TRUE((*f)->Sync().ok());
  EXPECT_EQ(OnDisk(path), "abc");
  ASSERT_TRUE((*f)->Append("de").ok());
  ASSERT_TRUE((*f)->Close().ok());  // closing keeps the tail cached, not written
  EXPECT_EQ(*env.ReadFile(path), "abcde");
  EXPECT_EQ(OnDisk(path), "abc");
  // A second handle on the same file shares its tail.
  auto g = env.OpenWritable(path, /*truncate=*/false);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Append("f").ok());
  EXPECT_EQ(*env.ReadFile(path), "abcdef");
  ASSERT_TRUE(env.Flush().ok());  // a clean exit: written, nothing left cached
  EXPECT_EQ(OnDisk(path), "abcdef");
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(VolatileCacheEnv, RenameRemoveAndTruncateKeepTheTailWithItsFile) {
  const std::string dir = TempDir();
  VolatileCacheEnv env;
  {
    auto f = env.OpenWritable(dir + "/a", /*truncate=*/true);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("xyz").ok());
  }
  ASSERT_TRUE(env.Rename(dir + "/a", dir + "/b").ok());
  EXPECT_FALSE(env.Exists(dir + "/a"));
  EXPECT_EQ(*env.ReadFile(dir + "/b"), "xyz");
  EXPECT_EQ(OnDisk(dir + "/b"), "");
  // Truncate fsyncs (as PosixEnv's does): the tail is written first, then cut.
  ASSERT_TRUE(env.Truncate(dir + "/b", 2).ok());
  EXPECT_EQ(OnDisk(dir + "/b"), "xy");
  EXPECT_EQ(*env.ReadFile(dir + "/b"), "xy");
  {
    auto f = env.OpenWritable(dir + "/b", /*truncate=*/false);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("123").ok());
  }
  ASSERT_TRUE(env.Remove(dir + "/b").ok());
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  {
    auto f = env.OpenWritable(dir + "/b", /*truncate=*/true);  // a new file: no old tail
    ASSERT_TRUE(f.ok());
  }
  EXPECT_EQ(*env.ReadFile(dir + "/b"), "");
  std::filesystem::remove_all(dir);
}

TEST(VolatileCacheEnv, SigkillLosesExactlyWhatWasNeverFsynced) {
  const std::string dir = TempDir();
  const std::string path = dir + "/f";
  ASSERT_TRUE(RunAndSigkill([&] {
    VolatileCacheEnv env;
    auto f = env.OpenWritable(path, /*truncate=*/true);
    return f.ok() && (*f)->Append("durable").ok() && (*f)->Sync().ok() &&
           (*f)->Append("+lost").ok() && *env.ReadFile(path) == "durable+lost";
  }));
  EXPECT_EQ(OnDisk(path), "durable");
  std::filesystem::remove_all(dir);
}

// Storage appends entries and hard state, "acknowledges" them (returns), and the process is
// SIGKILLed. With sync (the correct node) every acknowledged entry is recovered; with the planted
// bug no-fsync over VolatileCacheEnv none is; over PosixEnv the kernel's page cache survives the
// SIGKILL and hides the bug, which is why the lab needs --crash-loses-unsynced.
TEST(VolatileCacheEnv, NoFsyncBugLosesAcknowledgedEntriesAtSigkill) {
  struct Case {
    bool sync;
    bool volatile_cache;
    size_t recovered;
  };
  for (const Case c : {Case{true, true, 20}, Case{false, true, 0}, Case{false, false, 20}}) {
    const std::string what = std::string(c.sync ? "correct" : "no-fsync") +
                             (c.volatile_cache ? " over VolatileCacheEnv" : " over PosixEnv");
    const std::string dir = TempDir();
    ASSERT_TRUE(RunAndSigkill([&] {
      VolatileCacheEnv volatile_env;
      Env* env = c.volatile_cache ? static_cast<Env*>(&volatile_env) : PosixEnv();
      auto s = Storage::Open(env, dir + "/d", StorageOptions{.sync = c.sync});
      if (!s.ok()) return false;
      for (uint64_t i = 1; i <= 20; ++i) {
        if (!(*s)->Append({E(i, 1)}, raft::HardState{1, 1, i}).ok()) return false;
      }
      return true;
    })) << what;
    auto s = Storage::Open(PosixEnv(), dir + "/d");
    ASSERT_TRUE(s.ok()) << what << ": " << s.status();
    EXPECT_EQ((*s)->recovered().entries.size(), c.recovered) << what;
    if (c.recovered == 20) {
      EXPECT_EQ((*s)->recovered().entries.back(), E(20, 1)) << what;
    }
    std::filesystem::remove_all(dir);
  }
}

// PosixEnv's preallocated file: zeros really written ahead of the appends (the size grows a chunk
// at a time), appends land at the end of what was appended, and Close cuts the zeros off.
TEST(PosixEnv, PreallocatedFileKeepsZerosAheadAndCloseCutsThem) {
  const std::string dir = TempDir();
  const std::string path = dir + "/f";
  {
    auto f = PosixEnv()->OpenWritable(path, /*truncate=*/true, /*preallocate=*/4096);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append("abc").ok());
    EXPECT_EQ(std::filesystem::file_size(path), 3u + 4096u);
    ASSERT_TRUE((*f)->Append("def").ok());
    ASSERT_TRUE((*f)->Sync().ok());
    EXPECT_EQ(std::filesystem::file_size(path), 3u + 4096u);  // no growth within the zeros
    EXPECT_EQ(OnDisk(path), "abcdef" + std::string(4093, '\0'));
    ASSERT_TRUE((*f)->Append(std::string(5000, 'x')).ok());  // past the zeros: another chunk
    EXPECT_EQ(std::filesystem::file_size(path), 5006u + 4096u);
    ASSERT_TRUE((*f)->Close().ok());
  }
  EXPECT_EQ(OnDisk(path), "abcdef" + std::string(5000, 'x'));
  {
    // Reopened, it goes on at its end; a handle destroyed without Close cuts its zeros too.
    auto f = PosixEnv()->OpenWritable(path, /*truncate=*/false, /*preallocate=*/4096);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append("gh").ok());
  }
  EXPECT_EQ(OnDisk(path), "abcdef" + std::string(5000, 'x') + "gh");
  std::filesystem::remove_all(dir);
}

// Storage on a real disk, killed with SIGKILL: its segment keeps the zeros it was preallocated
// with; Open reads them as the end of the log (no torn tail reported, nothing lost) and writing
// goes on right after the last record. A record damaged just before the zeros is a torn tail.
TEST(PosixEnv, StorageKilledWithPreallocatedZerosRecoversEveryEntry) {
  const std::string dir = TempDir();
  const std::string wal = dir + "/d/wal/0000000000000001.wal";
  ASSERT_TRUE(RunAndSigkill([&] {
    auto s = Storage::Open(PosixEnv(), dir + "/d");
    if (!s.ok()) return false;
    for (uint64_t i = 1; i <= 20; ++i) {
      if (!(*s)->Append({E(i, 1)}, raft::HardState{1, 1, i}).ok()) return false;
    }
    (void)(*s).release();  // alive at the SIGKILL, as in a node (destroyed, it would close)
    return true;
  }));
  const std::string killed = OnDisk(wal);
  const size_t end = killed.find_last_not_of('\0') + 1;
  ASSERT_GE(killed.size(), StorageOptions{}.preallocate) << "the segment was preallocated";
  ASSERT_LT(end, killed.size() / 2);
  {
    auto s = Storage::Open(PosixEnv(), dir + "/d");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE((*s)->repaired().empty()) << (*s)->repaired();
    ASSERT_EQ((*s)->recovered().entries.size(), 20u);
    EXPECT_EQ((*s)->recovered().hard_state.commit, 20u);
    ASSERT_TRUE((*s)->Append({E(21, 1)}, std::nullopt).ok());
  }
  {
    auto s = Storage::Open(PosixEnv(), dir + "/d");
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ((*s)->recovered().entries.size(), 21u);
    EXPECT_EQ((*s)->recovered().entries.back(), E(21, 1));
  }
  // The killed image again with its last record (entry 20's hard state) damaged in its last
  // nonzero byte: a torn tail, cut and reported.
  std::string damaged = killed;
  damaged[end - 1] = static_cast<char>(damaged[end - 1] ^ 0x40);
  {
    std::ofstream f(wal, std::ios::binary | std::ios::trunc);
    f << damaged;
  }
  auto s = Storage::Open(PosixEnv(), dir + "/d");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE((*s)->repaired().empty());
  EXPECT_EQ((*s)->recovered().entries.size(), 20u);
  EXPECT_EQ((*s)->recovered().hard_state.commit, 19u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace splitbrain::node

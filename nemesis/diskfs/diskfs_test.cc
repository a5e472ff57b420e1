// splitbrain-fs mounted for real: the binary re-executes itself in a private user + mount
// namespace (`unshare --user --map-root-user --mount`, as the lab makes them), mounts the file
// system over a temporary directory, writes through it as a node would, and drives it over its
// control socket. A machine where the mount fails fails these tests: disk faults never run
// without their file system.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
std::string g_fs_binary;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DiskFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string tag = std::to_string(std::random_device{}());
    base_ = fs::temp_directory_path() / ("diskfs_test_" + tag);
    fs::create_directories(base_ / "backing");
    fs::create_directories(base_ / "mnt");
    fs::create_directories(base_ / "grave");
    control_ = "splitbrain-fs-test-" + tag;
  }
  void TearDown() override {
    Stop();
    fs::remove_all(base_);
  }
  fs::path backing() const { return base_ / "backing"; }
  fs::path mnt() const { return base_ / "mnt"; }

  // Starts splitbrain-fs and waits for its "ready".
  void Start() {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(g_fs_binary.c_str(), g_fs_binary.c_str(), "--backing", backing().c_str(), "--mount",
            over_backing_ ? backing().c_str() : mnt().c_str(), "--graveyard",
            (base_ / "grave").c_str(), "--control", control_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string got;
    pollfd p{out[0], POLLIN, 0};
    while (got.find("ready\n") == std::string::npos && poll(&p, 1, 10'000) > 0) {
      char buf[64];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    ASSERT_NE(got.find("ready\n"), std::string::npos) << "splitbrain-fs did not mount";
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    // In case it died without unmounting.
    umount2((over_backing_ ? backing() : mnt()).c_str(), MNT_DETACH);
  }

  // Sends one control command; returns the parsed reply.
  nlohmann::json Control(const std::string& line) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, control_.data(), control_.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + control_.size());
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      close(s);
      return {{"ok", false}, {"error", std::string("connect: ") + strerror(errno)}};
    }
    const std::string msg = line + "\n";
    EXPECT_EQ(write(s, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = read(s, buf, sizeof buf)) > 0;) reply.append(buf, static_cast<size_t>(n));
    close(s);
    return nlohmann::json::parse(reply, nullptr, false);
  }

  // Writes `bytes` at `off` through the mount (append when off < 0), fsyncing when asked.
  static void Put(const fs::path& p, const std::string& bytes, int64_t off, bool sync) {
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | (off < 0 ? O_APPEND : 0), 0644);
    ASSERT_GE(fd, 0) << p << ": " << strerror(errno);
    ssize_t n = off < 0 ? write(fd, bytes.data(), bytes.size())
                        : pwrite(fd, bytes.data(), bytes.size(), off);
    ASSERT_EQ(n, static_cast<ssize_t>(bytes.size())) << strerror(errno);
    if (sync) {
      ASSERT_EQ(fsync(fd), 0);
    }
    close(fd);
  }
  static void SyncDir(const fs::path& p) {
    int fd = open(p.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }

  fs::path base_;
  std::string control_;
  pid_t pid_ = -1;
  bool over_backing_ = false;  // mounted over the backing directory itself
};

TEST_F(DiskFsTest, ExactlyTheFsyncedBytesSurviveALoss) {
  Start();
  const std::string synced(5000, 'A');
  Put(mnt() / "wal", synced, 0, true);
  SyncDir(mnt());
  Put(mnt() / "wal", std::string(3000, 'B'), -1, false);  // appended, never synced
  Put(mnt() / "wal", "CCCCCCCCCC", 0, false);             // over synced bytes, never synced
  ASSERT_EQ(Slurp(mnt() / "wal").size(), 8000u);
  auto r = Control("lose");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(Slurp(mnt() / "wal"), synced);
  EXPECT_EQ(Slurp(backing() / "wal"), synced);
}

TEST_F(DiskFsTest, AFileWhoseDirectoryWasNotFsyncedDisappears) {
  Start();
  Put(mnt() / "kept", "k", 0, true);
  SyncDir(mnt());
  fs::create_directories(mnt() / "sub");
  Put(mnt() / "fresh", "fsynced, but its name is not", 0, true);
  Put(mnt() / "sub" / "deep", "d", 0, true);
  auto r = Control("lose");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_TRUE(fs::exists(mnt() / "kept"));
  EXPECT_FALSE(fs::exists(mnt() / "fresh"));
  EXPECT_FALSE(fs::exists(mnt() / "sub"));
  EXPECT_FALSE(fs::exists(backing() / "fresh"));
}

TEST_F(DiskFsTest, ARenameNotFollowedByADirectoryFsyncIsUndone) {
  Start();
  Put(mnt() / "state", "old", 0, true);
  Put(mnt() / "state.tmp", "new", 0, true);
  SyncDir(mnt());
  ASSERT_EQ(rename((mnt() / "state.tmp").c_str(), (mnt() / "state").c_str()), 0);
  ASSERT_EQ(Slurp(mnt() / "state"), "new");
  ASSERT_EQ(Control("lose")["ok"], true);
  EXPECT_EQ(Slurp(mnt() / "state"), "old");
  EXPECT_EQ(Slurp(mnt() / "state.tmp"), "new");
  // The same with the directory fsynced after the rename: it holds.
  ASSERT_EQ(rename((mnt() / "state.tmp").c_str(), (mnt() / "state").c_str()), 0);
  SyncDir(mnt());
  ASSERT_EQ(Control("lose")["ok"], true);
  EXPECT_EQ(Slurp(mnt() / "state"), "new");
  EXPECT_FALSE(fs::exists(mnt() / "state.tmp"));
}

TEST_F(DiskFsTest, AnUnlinkNotFollowedByADirectoryFsyncIsUndone) {
  Start();
  Put(mnt() / "segment", "durable", 0, true);
  SyncDir(mnt());
  ASSERT_EQ(unlink((mnt() / "segment").c_str()), 0);
  ASSERT_FALSE(fs::exists(mnt() / "segment"));
  ASSERT_EQ(Control("lose")["ok"], true);
  EXPECT_EQ(Slurp(mnt() / "segment"), "durable");
}

TEST_F(DiskFsTest, TornKeepsARandomPrefixOfTheUnsyncedTail) {
  Start();
  const std::string synced(4096, 's');
  std::string tail;
  for (int i = 0; i < 20000; ++i) tail.push_back(static_cast<char>('a' + i % 26));
  bool mid = false;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Put(mnt() / "log", synced, 0, true);
    SyncDir(mnt());
    Put(mnt() / "log", tail, -1, false);
    auto r = Control("lose torn " + std::to_string(seed));
    ASSERT_EQ(r["ok"], true) << r.dump();
    const std::string after = Slurp(mnt() / "log");
    const int64_t kept = r["lost"]["files"][0]["kept"];
    ASSERT_EQ(static_cast<int64_t>(after.size()), 4096 + kept);
    EXPECT_EQ(after, synced + tail.substr(0, static_cast<size_t>(kept)));
    mid |= kept > 0 && kept < static_cast<int64_t>(tail.size()) && kept % 4096 != 0;
    ASSERT_EQ(truncate((mnt() / "log").c_str(), 0), 0);
  }
  EXPECT_TRUE(mid) << "no seed cut the tail mid-page";
  // The same seed tears the same way.
  Put(mnt() / "log", synced, 0, true);
  Put(mnt() / "log", tail, -1, false);
  auto a = Control("lose torn 3");
  Put(mnt() / "log", tail, -1, false);
  auto b = Control("lose torn 3");
  EXPECT_EQ(a["lost"]["files"][0]["kept"], b["lost"]["files"][0]["kept"]);
}

TEST_F(DiskFsTest, DiskErrorsFailTheChosenCallsWithEio) {
  Start();
  Put(mnt() / "f", "data", 0, true);
  SyncDir(mnt());
  ASSERT_EQ(Control("error fsync 1 1")["ok"], true);
  int fd = open((mnt() / "f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pwrite(fd, "more", 4, 4), 4);  // writes still work
  errno = 0;
  EXPECT_EQ(fsync(fd), -1);
  EXPECT_EQ(errno, EIO);
  ASSERT_EQ(Control("error write,read 1 1")["ok"], true);
  errno = 0;
  EXPECT_EQ(pwrite(fd, "x", 1, 0), -1);
  EXPECT_EQ(errno, EIO);
  char c;
  errno = 0;
  EXPECT_EQ(pread(fd, &c, 1, 0), -1);
  EXPECT_EQ(errno, EIO);
  // A share: some calls fail, some do not.
  ASSERT_EQ(Control("error write 0.5 7")["ok"], true);
  int failed = 0, passed = 0;
  for (int i = 0; i < 200; ++i) (pwrite(fd, "y", 1, 0) == 1 ? passed : failed)++;
  EXPECT_GT(failed, 50);
  EXPECT_GT(passed, 50);
  auto healed = Control("heal");
  EXPECT_GE(healed["counts"]["eio"].get<int>(), 50);
  EXPECT_EQ(pwrite(fd, "z", 1, 0), 1);
  EXPECT_EQ(fsync(fd), 0);
  close(fd);
  // The failed fsync made nothing durable; the healed one did.
  ASSERT_EQ(Control("lose")["ok"], true);
  EXPECT_EQ(Slurp(mnt() / "f"), "zatamore");
}

TEST_F(DiskFsTest, AFullDiskFailsWritesWithEnospc) {
  Start();
  ASSERT_EQ(Control("full")["ok"], true);
  int fd = open((mnt() / "f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  errno = 0;
  EXPECT_EQ(write(fd, "x", 1), -1);
  EXPECT_EQ(errno, ENOSPC);
  ASSERT_EQ(Control("heal")["ok"], true);
  EXPECT_EQ(write(fd, "x", 1), 1);
  close(fd);
}

TEST_F(DiskFsTest, ASlowDiskAddsItsDelayToEachFsync) {
  Start();
  int fd = open((mnt() / "f").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  auto fsync_ms = [&] {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(write(fd, "x", 1), 1);
      auto t0 = std::chrono::steady_clock::now();
      EXPECT_EQ(fsync(fd), 0);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms;
  };
  const auto before = fsync_ms();
  ASSERT_EQ(Control("slow 50000000")["ok"], true);
  const auto slow = fsync_ms();
  ASSERT_EQ(Control("heal")["ok"], true);
  std::cout << "fsync through splitbrain-fs, median of 5: " << before[2]
            << " ms; slow-disk 50 ms: " << slow[2] << " ms\n";
  EXPECT_GE(slow.front(), 50.0);         // every fsync took the delay
  EXPECT_LT(before[2] + 40.0, slow[2]);  // and the delay is what made them slower
  close(fd);
}

TEST_F(DiskFsTest, CorruptFlipsABitOfSyncedDataInTheChosenFileKind) {
  Start();
  const std::string data(8192, 'w');
  Put(mnt() / "wal-0001.log", data, 0, true);
  Put(mnt() / "snap", data, 0, true);
  SyncDir(mnt());
  auto r = Control("corrupt wal 11");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["corrupted"]["path"], "wal-0001.log");
  const std::string after = Slurp(mnt() / "wal-0001.log");
  const auto off = r["corrupted"]["offset"].get<size_t>();
  ASSERT_LT(off, after.size());
  EXPECT_EQ(after[off], static_cast<char>('w' ^ (1 << r["corrupted"]["bit"].get<int>())));
  EXPECT_EQ(std::count(after.begin(), after.end(), 'w'), 8191);
  EXPECT_EQ(Slurp(mnt() / "snap"), data);
  EXPECT_EQ(Control("corrupt nothing-matches 1")["ok"], false);
}

// As the harness mounts it: over the node's data directory itself, which keeps the data after
// the unmount.
TEST_F(DiskFsTest, MountedOverItsOwnBackingDirectory) {
  Put(backing() / "before", "durable", 0, true);
  over_backing_ = true;
  Start();
  EXPECT_EQ(Slurp(backing() / "before"), "durable");
  Put(backing() / "before", "+more", -1, false);
  Put(backing() / "new", "n", 0, true);
  ASSERT_EQ(Control("lose")["ok"], true);
  EXPECT_EQ(Slurp(backing() / "before"), "durable");
  EXPECT_FALSE(fs::exists(backing() / "new"));
  Put(backing() / "kept", "k", 0, true);
  SyncDir(backing());
  Stop();
  EXPECT_EQ(Slurp(backing() / "kept"), "k");  // unmounted: the data is in the directory
}

TEST_F(DiskFsTest, TheControlSocketRefusesNonsenseAndTheMountSurvives) {
  Start();
  auto r = Control("format the disk");
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("unknown command"), std::string::npos);
  Put(mnt() / "f", "still here", 0, true);
  EXPECT_EQ(Slurp(mnt() / "f"), "still here");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  g_fs_binary = (fs::path(self).parent_path() / "splitbrain-fs").string();
  bool listing = false;
  for (int i = 1; i < argc; ++i) listing |= std::string(argv[i]) == "--gtest_list_tests";
  if (!listing && getenv("SPLITBRAIN_DISKFS_TEST_NS") == nullptr) {
    // Into a user + mount namespace of our own: the mounts vanish with it.
    setenv("SPLITBRAIN_DISKFS_TEST_NS", "1", 1);
    std::vector<char*> args = {const_cast<char*>("unshare"),         const_cast<char*>("--user"),
                               const_cast<char*>("--map-root-user"), const_cast<char*>("--mount"),
                               const_cast<char*>("--propagation"),   const_cast<char*>("private"),
                               const_cast<char*>(self.c_str())};
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    execvp("unshare", args.data());
    std::cerr << "diskfs_test: cannot run unshare: " << strerror(errno) << "\n";
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

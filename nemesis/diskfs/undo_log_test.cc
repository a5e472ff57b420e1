// The undo log on a real directory, without FUSE: the hooks are called as splitbrain-fs calls
// them, around real writes, renames and removals.
#include "nemesis/diskfs/undo_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace splitbrain::nemesis::diskfs {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

class UndoLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("undo_log_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(base_ / "root");
    fs::create_directories(base_ / "grave");
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path root() const { return base_ / "root"; }
  // Writes through the hooks, as splitbrain-fs does.
  void Write(UndoLog& log, const std::string& name, int64_t off, const std::string& bytes) {
    int fd = open((root() / name).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    ASSERT_TRUE(log.BeforeWrite(fd, st.st_ino, off, static_cast<int64_t>(bytes.size())).ok());
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), off), static_cast<ssize_t>(bytes.size()));
    close(fd);
  }
  fs::path base_;
};

TEST_F(UndoLogTest, OverwrittenSyncedPagesAndAppendedTailAreUndone) {
  const std::string durable(10000, 'a');
  Spit(root() / "f", durable);  // present before: durable
  UndoLog log(root().string(), (base_ / "grave").string());
  Write(log, "f", 5000, std::string(7000, 'b'));  // over synced pages and past the end
  Write(log, "f", 0, "zz");
  ASSERT_EQ(Slurp(root() / "f").size(), 12000u);
  Rng rng(1);
  auto r = log.Rollback(false, &rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Slurp(root() / "f"), durable);
  EXPECT_EQ((*r)["restored_pages"], 3);  // pages 0, 1 (5000..8191) and 2 (8192..9999)
}

TEST_F(UndoLogTest, RenameOverADurableNameIsUndoneAndTheTargetComesBack) {
  Spit(root() / "a", "old");
  UndoLog log(root().string(), (base_ / "grave").string());
  ASSERT_TRUE(log.BeforeEntryChange("", "tmp").ok());
  Spit(root() / "tmp", "new");
  struct stat st {};
  ASSERT_EQ(stat((root() / "tmp").c_str(), &st), 0);
  log.Created(st.st_ino);
  log.FileSynced(st.st_ino);
  ASSERT_TRUE(log.BeforeEntryChange("", "tmp").ok());
  ASSERT_TRUE(log.BeforeEntryChange("", "a").ok());
  ASSERT_EQ(log.SaveTarget("", "a"), 0);
  ASSERT_EQ(rename((root() / "tmp").c_str(), (root() / "a").c_str()), 0);
  Rng rng(1);
  auto r = log.Rollback(false, &rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Slurp(root() / "a"), "old");
  EXPECT_FALSE(fs::exists(root() / "tmp"));            // created since the directory's last fsync
  EXPECT_TRUE(r->at("removed").empty()) << r->dump();  // "tmp" is already gone: renamed
  EXPECT_EQ(r->at("restored"), nlohmann::json::array({"/a"})) << r->dump();
  EXPECT_TRUE(fs::is_empty(base_ / "grave"));
}

TEST_F(UndoLogTest, ADirectoryFsyncMakesTheRenameDurable) {
  Spit(root() / "a", "old");
  UndoLog log(root().string(), (base_ / "grave").string());
  ASSERT_TRUE(log.BeforeEntryChange("", "tmp").ok());
  Spit(root() / "tmp", "new");
  struct stat st {};
  ASSERT_EQ(stat((root() / "tmp").c_str(), &st), 0);
  log.Created(st.st_ino);
  log.FileSynced(st.st_ino);
  ASSERT_TRUE(log.BeforeEntryChange("", "a").ok());
  ASSERT_EQ(log.SaveTarget("", "a"), 0);
  ASSERT_EQ(rename((root() / "tmp").c_str(), (root() / "a").c_str()), 0);
  ASSERT_EQ(stat(root().c_str(), &st), 0);
  log.DirSynced(st.st_ino);
  EXPECT_TRUE(fs::is_empty(base_ / "grave"));  // the old "a" is needed by nothing now
  Rng rng(1);
  ASSERT_TRUE(log.Rollback(false, &rng).ok());
  EXPECT_EQ(Slurp(root() / "a"), "new");
}

TEST_F(UndoLogTest, RemovedDurableFileComesBack) {
  Spit(root() / "keep", "data");
  UndoLog log(root().string(), (base_ / "grave").string());
  ASSERT_TRUE(log.BeforeEntryChange("", "keep").ok());
  ASSERT_EQ(log.Remove("", "keep", false), 0);
  EXPECT_FALSE(fs::exists(root() / "keep"));
  Rng rng(1);
  ASSERT_TRUE(log.Rollback(false, &rng).ok());
  EXPECT_EQ(Slurp(root() / "keep"), "data");
}

TEST_F(UndoLogTest, CorruptFlipsOneSyncedBitOfAMatchingFile) {
  const std::string data(8192, 'x');
  Spit(root() / "wal-1", data);
  Spit(root() / "other", data);
  UndoLog log(root().string(), (base_ / "grave").string());
  Rng rng(5);
  auto r = log.Corrupt("wal", &rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["path"], "wal-1");
  const std::string after = Slurp(root() / "wal-1");
  ASSERT_EQ(after.size(), data.size());
  int diffs = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (after[i] != data[i]) {
      ++diffs;
      EXPECT_EQ(static_cast<int64_t>(i), (*r)["offset"].get<int64_t>());
      EXPECT_EQ(after[i] ^ data[i], 1 << (*r)["bit"].get<int>());
    }
  }
  EXPECT_EQ(diffs, 1);
  EXPECT_EQ(Slurp(root() / "other"), data);
  EXPECT_EQ(log.Corrupt("snap", &rng).status().code(), StatusCode::kNotFound);
}

// A preallocated segment (etcd's WAL: 64 MB of zeros behind the records) rots where it was
// written, never in the zero tail nothing reads.
TEST_F(UndoLogTest, CorruptAimsAtWrittenBytesNotAPreallocatedZeroTail) {
  Spit(root() / "seg.wal", std::string(100, 'r') + std::string(200000, '\0'));
  Spit(root() / "zeros.wal", std::string(5000, '\0'));
  UndoLog log(root().string(), (base_ / "grave").string());
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    auto r = log.Corrupt("wal", &rng);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)["path"], "seg.wal");
    EXPECT_LT((*r)["offset"].get<int64_t>(), 100);
  }
}

}  // namespace
}  // namespace splitbrain::nemesis::diskfs

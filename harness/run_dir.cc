#include "harness/run_dir.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/clock.h"

namespace splitbrain::harness {
namespace fs = std::filesystem;

std::string UtcStamp(int64_t wall_ns, bool for_path) {
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  strftime(buf, sizeof buf, for_path ? "%Y%m%dT%H%M%S" : "%Y-%m-%dT%H:%M:%S", &t);
  char out[80];
  snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>((wall_ns / 1'000'000) % 1000));
  return out;
}

std::string MakeRunDir(const std::string& store, const std::string& test) {
  const std::string base =
      store + "/" + test + "/" + UtcStamp(SystemClock::Get().WallNanos(), true);
  fs::create_directories(fs::path(base).parent_path());
  // create_directory is the test and the claim in one step: it is false when the folder was
  // there already, so two runs starting in one millisecond (--jobs, two `run`s into one store)
  // never share a folder.
  std::string dir = base;
  for (int i = 1; !fs::create_directory(dir); ++i) dir = base + "-" + std::to_string(i);
  fs::create_directories(dir + "/nodes");
  return dir;
}

void PointLatest(const std::string& store, const std::string& run_dir) {
  std::error_code ec;
  const fs::path rel = fs::relative(run_dir, store, ec);
  if (ec) return;
  const fs::path tmp = fs::path(store) / (".latest-" + std::to_string(getpid()));
  fs::remove(tmp, ec);
  fs::create_directory_symlink(rel, tmp, ec);
  if (!ec) fs::rename(tmp, fs::path(store) / "latest", ec);
}

void WriteJsonFile(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

}  // namespace splitbrain::harness

// The run directory in the store (docs/FORMAT.md "Store layout"): store/<test>/<UTC stamp>/, the
// `latest` link beside the tests, and JSON files written whole (a reader never sees half of one).
// Stateless functions; safe from any thread, but two writers of one file race (the last wins).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace splitbrain::harness {

// "2026-11-30T07:41:09.123Z" (for_path: "20261130T074109.123Z") for wall-clock ns.
std::string UtcStamp(int64_t wall_ns, bool for_path);

// Makes store/<test>/<UTC stamp of now>/ with its nodes/ folder, unique even when two runs start
// in the same millisecond (a "-1", "-2" suffix). Throws std::filesystem_error when it cannot.
std::string MakeRunDir(const std::string& store, const std::string& test);

// Points store/latest at `run_dir` (relative, replaced atomically); does nothing on error.
void PointLatest(const std::string& store, const std::string& run_dir);

// Writes `j` (indented) to `path` through a temporary file renamed over it.
void WriteJsonFile(const std::string& path, const nlohmann::json& j);

}  // namespace splitbrain::harness

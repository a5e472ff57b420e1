#include "harness/sim/sim_disk.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/rng.h"
#include "node/env.h"
#include "node/storage.h"

namespace splitbrain::harness::sim {
namespace {

constexpr const char* kDir = "/sim/data";

// Writes `st` as the node would have: the hard state, the snapshot (its file, and a new segment
// behind it), the entries after it and the hard state again — with `sync`, each fsynced.
Status WriteState(node::Env* env, const raft::DurableState& st, bool sync) {
  SB_ASSIGN_OR_RETURN(auto s, node::Storage::Open(env, kDir, node::StorageOptions{sync}));
  // The hard state first, so that the segment the snapshot starts holds the term and vote too:
  // a cut of the last record then goes back to them, as the node's own log would.
  SB_RETURN_IF_ERROR(s->Append({}, st.hard_state));
  if (!st.snapshot.empty()) SB_RETURN_IF_ERROR(s->SaveSnapshot(st.snapshot));
  return s->Append(st.entries, st.hard_state);
}

// Reads the disk back as the node does at start.
Result<DiskAfter> Recover(node::Env* env, const raft::DurableState& before, nlohmann::json detail) {
  DiskAfter out;
  auto s = node::Storage::Open(env, kDir);
  if (!s.ok()) {
    if (s.status().code() != StatusCode::kCorruption) return s.status();
    out.state = before;
    out.refused = true;
    detail["refused"] = s.status().message();
  } else {
    out.state = (*s)->recovered();
    if (!(*s)->repaired().empty()) detail["repaired"] = (*s)->repaired();
  }
  out.detail = std::move(detail);
  return out;
}

}  // namespace

Result<DiskAfter> TearUnsynced(const raft::DurableState& synced, const raft::DurableState& durable,
                               uint64_t seed) {
  node::FaultyEnv env;
  SB_RETURN_IF_ERROR(WriteState(&env, synced, /*sync=*/true));
  // What was written after: the entries past those the two share (a rewritten tail replaces the
  // synced one from its first index), and the hard state.
  std::vector<raft::Entry> tail;
  if (durable.snapshot.meta.index == synced.snapshot.meta.index) {
    size_t i = 0;
    while (i < synced.entries.size() && i < durable.entries.size() &&
           synced.entries[i].index == durable.entries[i].index &&
           synced.entries[i].term == durable.entries[i].term) {
      ++i;
    }
    tail.assign(durable.entries.begin() + static_cast<ptrdiff_t>(i), durable.entries.end());
  }
  {
    SB_ASSIGN_OR_RETURN(auto s, node::Storage::Open(&env, kDir, node::StorageOptions{false}));
    SB_RETURN_IF_ERROR(s->Append(tail, durable.hard_state));
  }
  Rng rng(seed);
  env.Crash(&rng);
  return Recover(&env, synced, nlohmann::json{{"unsynced_entries", tail.size()}});
}

Result<DiskAfter> FlipSyncedBit(const raft::DurableState& durable, const std::string& pattern,
                                uint64_t seed) {
  node::FaultyEnv env;
  SB_RETURN_IF_ERROR(WriteState(&env, durable, /*sync=*/true));
  const std::string dir = kDir;
  std::vector<std::string> files;
  if (env.Exists(dir + "/snapshot")) files.push_back("snapshot");
  SB_ASSIGN_OR_RETURN(auto wal, env.ListDir(dir + "/wal"));
  std::sort(wal.begin(), wal.end());
  for (const auto& name : wal) files.push_back("wal/" + name);
  std::erase_if(files, [&](const std::string& f) {
    return (pattern != "*" && f.find(pattern) == std::string::npos) ||
           env.Contents(dir + "/" + f).empty();
  });
  if (files.empty()) {
    return DiskAfter{durable, false, {{"file", nullptr}, {"why", "no fsynced byte to flip"}}};
  }
  Rng rng(seed);
  const std::string& file = files[rng.Uniform(files.size())];
  std::string data = env.Contents(dir + "/" + file);
  const uint64_t offset = rng.Uniform(data.size());
  const uint64_t bit = rng.Uniform(8);
  data[offset] = static_cast<char>(static_cast<unsigned char>(data[offset]) ^ (1u << bit));
  env.SetContents(dir + "/" + file, data);
  return Recover(&env, durable, {{"file", file}, {"offset", offset}, {"bit", bit}});
}

}  // namespace splitbrain::harness::sim

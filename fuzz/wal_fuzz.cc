// Fuzz target: the WAL reader (node::Storage::Open) on a segment whose bytes are the input, in
// the in-memory FaultyEnv. Open must either refuse with an error or recover a consistent state
// (entries contiguous after the snapshot), and opening again what it repaired must give the same.
// Each input is read twice: as it is, and with every record's checksums made right, so that
// mutations reach the record decoding behind the CRCs.
#include <cstddef>
#include <cstdint>
#include <string>

#include "node/env.h"
#include "node/storage.h"

namespace {

using splitbrain::node::FaultyEnv;
using splitbrain::node::Storage;

// Rewrites the two checksums of each record whose length fits in `wal` (storage.h's format).
std::string FixChecksums(std::string wal) {
  auto u32 = [&](size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(wal[at + i])} << (8 * i);
    return v;
  };
  auto put = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) wal[at + i] = static_cast<char>(v >> (8 * i));
  };
  for (size_t off = 0; off + 12 <= wal.size();) {
    const uint32_t len = u32(off);
    if (len > wal.size() - off - 12) break;
    put(off + 4, splitbrain::node::Crc32c(wal.data() + off + 12, len));
    put(off + 8, splitbrain::node::Crc32c(wal.data() + off, 8) ^ 0x5b5b5b5bu);
    off += 12 + len;
  }
  return wal;
}

void CheckContiguous(const splitbrain::raft::DurableState& s) {
  uint64_t next = s.snapshot.meta.index + 1;
  for (const auto& e : s.entries) {
    if (e.index != next++) __builtin_trap();
  }
}

void Replay(const std::string& wal) {
  FaultyEnv env;
  if (!env.CreateDir("d").ok() || !env.CreateDir("d/wal").ok()) __builtin_trap();
  env.SetContents("d/wal/0000000000000001.wal", wal);
  auto first = Storage::Open(&env, "d");
  if (!first.ok()) return;
  const splitbrain::raft::DurableState recovered = (*first)->recovered();
  CheckContiguous(recovered);
  first->reset();
  auto again = Storage::Open(&env, "d");
  if (!again.ok() || !(*again)->repaired().empty()) __builtin_trap();
  const auto& r = (*again)->recovered();
  if (!(r.hard_state == recovered.hard_state) || !(r.snapshot == recovered.snapshot) ||
      r.entries != recovered.entries) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string wal(reinterpret_cast<const char*>(data), size);
  Replay(wal);
  Replay(FixChecksums(wal));
  return 0;
}

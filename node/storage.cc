#include "node/storage.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "raft/codec.h"

namespace splitbrain::node {

namespace {

// kRewrittenEntry is an entry copied into a new segment at compaction: when the log already
// holds the same (index, term) it changes nothing (a torn copy must not cut the original's tail).
enum RecordType : uint8_t { kEntry = 1, kHardState = 2, kSnapshotMark = 3, kRewrittenEntry = 4 };
constexpr size_t kHeader = 12;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}
uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

void PutRecord(std::string* out, uint8_t type, const std::string& body) {
  std::string payload;
  payload.reserve(body.size() + 1);
  payload.push_back(static_cast<char>(type));
  payload.append(body);
  std::string header;
  PutU32(&header, static_cast<uint32_t>(payload.size()));
  PutU32(&header, Crc32c(payload.data(), payload.size()));
  PutU32(&header, Crc32c(header.data(), 8) ^ 0x5b5b5b5bu);
  out->append(header);
  out->append(payload);
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

std::string SegmentName(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llu.wal", static_cast<unsigned long long>(seq));
  return buf;
}

}  // namespace

uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
namespace {
// SSE 4.2's crc32 computes CRC-32C: eight bytes an instruction, then the rest one at a time.
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const unsigned char* p, size_t n,
                                                       uint32_t crc) {
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = __builtin_ia32_crc32qi(c32, *p);
  return ~c32;
}
}  // namespace

bool Crc32cHardware() {
  static const bool hw = __builtin_cpu_supports("sse4.2");
  return hw;
}

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  if (Crc32cHardware()) return Crc32cSse42(static_cast<const unsigned char*>(data), n, crc);
  return Crc32cPortable(data, n, crc);
}
#else
bool Crc32cHardware() { return false; }

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) { return Crc32cPortable(data, n, crc); }
#endif

std::string Storage::WalPath(uint64_t seq) const { return dir_ + "/wal/" + SegmentName(seq); }

Result<std::unique_ptr<Storage>> Storage::Open(Env* env, const std::string& dir,
                                               StorageOptions options) {
  std::unique_ptr<Storage> s(new Storage(env, dir, options));
  SB_RETURN_IF_ERROR(s->Recover());
  return s;
}

void Storage::ApplySnapshotMark(const raft::SnapshotMeta& meta) {
  if (meta.index <= snapshot_meta_.index) return;
  const uint64_t base = snapshot_meta_.index;
  // §7: keep the entries after the snapshot only when ours agree with it at its index.
  bool keep =
      meta.index <= base + entries_.size() && entries_[meta.index - base - 1].term == meta.term;
  if (keep) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(meta.index - base));
  } else {
    entries_.clear();
  }
  snapshot_meta_ = meta;
}

Status Storage::ReplaySegment(const std::string& name, bool last, uint64_t* good_size,
                              uint64_t* file_size) {
  const std::string path = dir_ + "/wal/" + name;
  SB_ASSIGN_OR_RETURN(std::string buf, env_->ReadFile(path));
  *file_size = buf.size();
  size_t off = 0;
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption(path + ": " + why + " at offset " + std::to_string(off) +
                              "; refusing to start on a log that cannot be trusted");
  };
  auto torn = [&](const std::string& why) -> Status {
    if (!last) return corrupt(why + " (not the newest segment)");
    *good_size = off;
    repaired_ = "wal/" + name + " at offset " + std::to_string(off) + " (" +
                std::to_string(buf.size() - off) + " bytes dropped: " + why + ")";
    return Status::Ok();
  };
  // Damage at `off` is a torn tail (a crash mid-write) only when no intact record follows it;
  // intact records after it mean the middle of the log is damaged.
  auto damaged = [&](const std::string& why) -> Status {
    for (size_t p = off + 1; p + kHeader <= buf.size(); ++p) {
      const char* q = buf.data() + p;
      if ((Crc32c(q, 8) ^ 0x5b5b5b5bu) != GetU32(q + 8)) continue;
      const uint32_t l = GetU32(q);
      if (l == 0 || l > buf.size() - p - kHeader) continue;
      if (Crc32c(q + kHeader, l) == GetU32(q + 4)) {
        return corrupt(why + " (an intact record follows at offset " + std::to_string(p) + ")");
      }
    }
    return torn(why);
  };
  while (off < buf.size()) {
    const size_t rem = buf.size() - off;
    if (rem < kHeader) return torn("partial record header");
    const char* h = buf.data() + off;
    const uint32_t len = GetU32(h);
    const uint32_t crc = GetU32(h + 4);
    if ((Crc32c(h, 8) ^ 0x5b5b5b5bu) != GetU32(h + 8)) {
      if (AllZero(std::string_view(buf).substr(off))) {
        // Zeros from a record boundary on: the preallocated rest of the segment (WritableFile
        // kept ahead of its appends, cut off again only at a clean close), not damage.
        if (!last) return corrupt("zeros (not the newest segment)");
        *good_size = off;
        return Status::Ok();
      }
      return damaged("bad record header checksum");
    }
    if (len > rem - kHeader) return damaged("record runs past the end");
    const char* payload = h + kHeader;
    if (Crc32c(payload, len) != crc) return damaged("bad record checksum");
    if (len == 0) return corrupt("empty record");
    std::string_view body(payload + 1, len - 1);
    switch (static_cast<uint8_t>(payload[0])) {
      case kEntry:
      case kRewrittenEntry: {
        raft::Entry e;
        if (!raft::DecodeEntry(body, &e)) return corrupt("undecodable entry");
        const uint64_t base = snapshot_meta_.index;
        const bool rewritten = static_cast<uint8_t>(payload[0]) == kRewrittenEntry;
        if (rewritten && e.index > base && e.index - base <= entries_.size() &&
            entries_[e.index - base - 1].term == e.term) {
          break;  // the same entry (log matching): keep what follows it
        }
        if (e.index > base) {
          if (e.index - base - 1 > entries_.size()) {
            return corrupt("entry " + std::to_string(e.index) + " leaves a gap after " +
                           std::to_string(base + entries_.size()));
          }
          entries_.resize(e.index - base - 1);
          entries_.push_back(std::move(e));
        }
        break;
      }
      case kHardState:
        if (!raft::DecodeHardState(body, &hard_state_)) return corrupt("undecodable hard state");
        break;
      case kSnapshotMark: {
        raft::SnapshotMeta meta;
        if (!raft::DecodeSnapshotMeta(body, &meta)) return corrupt("undecodable snapshot mark");
        ApplySnapshotMark(meta);
        break;
      }
      default:
        return corrupt("unknown record type " + std::to_string(static_cast<uint8_t>(payload[0])));
    }
    off += kHeader + len;
  }
  *good_size = buf.size();
  return Status::Ok();
}

Status Storage::Recover() {
  SB_RETURN_IF_ERROR(env_->CreateDir(dir_));
  SB_RETURN_IF_ERROR(env_->CreateDir(dir_ + "/wal"));
  // A directory's name is durable only once its parent is fsynced: without these a power cut
  // after the first boot could take wal/ — the whole log — with it (issue 15, found by
  // splitbrain-fs under the correct node).
  const size_t slash = dir_.rfind('/');
  SB_RETURN_IF_ERROR(env_->SyncDir(slash == std::string::npos ? "."
                                   : slash == 0               ? "/"
                                                              : dir_.substr(0, slash)));
  SB_RETURN_IF_ERROR(env_->SyncDir(dir_));
  if (env_->Exists(dir_ + "/snapshot.tmp"))
    SB_RETURN_IF_ERROR(env_->Remove(dir_ + "/snapshot.tmp"));

  // The snapshot file: one record whose payload is u32 meta length, meta, image.
  raft::Snapshot file_snapshot;
  const std::string snap_path = dir_ + "/snapshot";
  if (env_->Exists(snap_path)) {
    SB_ASSIGN_OR_RETURN(std::string buf, env_->ReadFile(snap_path));
    auto bad = [&](const char* why) {
      return Status::Corruption(snap_path + ": " + why + " at offset 0; refusing to start");
    };
    if (buf.size() < kHeader + 5) return bad("too short");
    const uint32_t len = GetU32(buf.data());
    if ((Crc32c(buf.data(), 8) ^ 0x5b5b5b5bu) != GetU32(buf.data() + 8) ||
        len != buf.size() - kHeader ||
        Crc32c(buf.data() + kHeader, len) != GetU32(buf.data() + 4)) {
      return bad("bad checksum");
    }
    const uint32_t meta_len = GetU32(buf.data() + kHeader + 1);
    if (meta_len > len - 5) return bad("bad meta length");
    if (!raft::DecodeSnapshotMeta(std::string_view(buf).substr(kHeader + 5, meta_len),
                                  &file_snapshot.meta)) {
      return bad("undecodable meta");
    }
    file_snapshot.data = buf.substr(kHeader + 5 + meta_len);
  }

  SB_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir_ + "/wal"));
  std::vector<uint64_t> seqs;
  for (const std::string& n : names) {
    unsigned long long seq = 0;
    char tail[8] = {0};
    if (n.size() == 20 && std::sscanf(n.c_str(), "%16llu%4s", &seq, tail) == 2 &&
        std::strcmp(tail, ".wal") == 0) {
      seqs.push_back(seq);
    }
  }
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 0; i < seqs.size(); ++i) {
    const bool last = i + 1 == seqs.size();
    uint64_t good = 0, size = 0;
    SB_RETURN_IF_ERROR(ReplaySegment(SegmentName(seqs[i]), last, &good, &size));
    if (last && good < size) SB_RETURN_IF_ERROR(env_->Truncate(WalPath(seqs[i]), good));
  }
  if (snapshot_meta_.index > file_snapshot.meta.index) {
    return Status::Corruption(dir_ + "/wal: log compacted to index " +
                              std::to_string(snapshot_meta_.index) + " but " + snap_path +
                              " holds index " + std::to_string(file_snapshot.meta.index));
  }
  ApplySnapshotMark(file_snapshot.meta);  // a snapshot saved just before a crash
  hard_state_.commit = std::max(hard_state_.commit, snapshot_meta_.index);

  recovered_.hard_state = hard_state_;
  recovered_.snapshot = file_snapshot;
  recovered_.entries = entries_;

  if (seqs.empty()) {
    SB_RETURN_IF_ERROR(OpenSegment(1, /*truncate=*/true));
  } else {
    old_segments_.assign(seqs.begin(), seqs.end() - 1);
    SB_RETURN_IF_ERROR(OpenSegment(seqs.back(), /*truncate=*/false));
  }
  return Status::Ok();
}

Status Storage::OpenSegment(uint64_t seq, bool truncate) {
  if (wal_) {
    SB_RETURN_IF_ERROR(wal_->Close());
    old_segments_.push_back(segment_seq_);
  }
  SB_ASSIGN_OR_RETURN(wal_, env_->OpenWritable(WalPath(seq), truncate, options_.preallocate));
  segment_seq_ = seq;
  if (truncate) SB_RETURN_IF_ERROR(env_->SyncDir(dir_ + "/wal"));
  return Status::Ok();
}

Status Storage::Sync(WritableFile* file) {
  if (!options_.sync) return Status::Ok();  // planted bug no-fsync
  ++fsyncs_;
  return file->Sync();
}

Status Storage::Append(const std::vector<raft::Entry>& entries,
                       const std::optional<raft::HardState>& hard_state) {
  std::string buf;
  bool must_sync = false;
  SB_RETURN_IF_ERROR(Encode(entries, hard_state, &buf, &must_sync));
  return WriteOut(buf, must_sync);
}

Status Storage::Append(const std::vector<const LogWrite*>& writes) {
  std::string buf;
  bool must_sync = false;
  for (const LogWrite* w : writes) {
    SB_RETURN_IF_ERROR(Encode(w->entries, w->hard_state, &buf, &must_sync));
  }
  return WriteOut(buf, must_sync);
}

Status Storage::Encode(const std::vector<raft::Entry>& entries,
                       const std::optional<raft::HardState>& hard_state, std::string* buf,
                       bool* must_sync) {
  for (const raft::Entry& e : entries) {
    const uint64_t base = snapshot_meta_.index;
    if (e.index <= base) continue;  // already covered by the snapshot
    if (e.index - base - 1 > entries_.size()) {
      return Status::Internal("append of entry " + std::to_string(e.index) + " after " +
                              std::to_string(base + entries_.size()) + " leaves a gap");
    }
    PutRecord(buf, kEntry, raft::EncodeEntry(e));
    entries_.resize(e.index - base - 1);
    entries_.push_back(e);
    *must_sync = true;
  }
  // As etcd's MustSync: a change of the commit index alone need not be fsynced (a commit index
  // that goes back after a crash is learned again from the leader); new entries, term or vote
  // must be durable before anything that depends on them goes out.
  if (hard_state) {
    *must_sync =
        *must_sync || hard_state->term != hard_state_.term || hard_state->vote != hard_state_.vote;
    PutRecord(buf, kHardState, raft::EncodeHardState(*hard_state));
    hard_state_ = *hard_state;
  }
  return Status::Ok();
}

Status Storage::WriteOut(const std::string& buf, bool must_sync) {
  if (buf.empty()) return Status::Ok();
  SB_RETURN_IF_ERROR(wal_->Append(buf));
  return must_sync ? Sync(wal_.get()) : Status::Ok();
}

Status Storage::SaveSnapshot(const raft::Snapshot& snapshot) {
  if (snapshot.meta.index <= snapshot_meta_.index) return Status::Ok();
  // 1. The snapshot file, atomically.
  std::string payload;
  payload.push_back(1);
  std::string meta = raft::EncodeSnapshotMeta(snapshot.meta);
  PutU32(&payload, static_cast<uint32_t>(meta.size()));
  payload.append(meta);
  payload.append(snapshot.data);
  std::string file;
  PutU32(&file, static_cast<uint32_t>(payload.size()));
  PutU32(&file, Crc32c(payload.data(), payload.size()));
  PutU32(&file, Crc32c(file.data(), 8) ^ 0x5b5b5b5bu);
  file.append(payload);
  {
    const std::string tmp = dir_ + "/snapshot.tmp";
    SB_ASSIGN_OR_RETURN(auto f, env_->OpenWritable(tmp, /*truncate=*/true));
    SB_RETURN_IF_ERROR(f->Append(file));
    SB_RETURN_IF_ERROR(f->Sync());
    SB_RETURN_IF_ERROR(f->Close());
    SB_RETURN_IF_ERROR(env_->Rename(tmp, dir_ + "/snapshot"));
    SB_RETURN_IF_ERROR(env_->SyncDir(dir_));
  }
  // 2. A new segment holding only what follows the snapshot; then the old ones go.
  ApplySnapshotMark(snapshot.meta);
  hard_state_.commit = std::max(hard_state_.commit, snapshot_meta_.index);
  std::string buf;
  PutRecord(&buf, kSnapshotMark, raft::EncodeSnapshotMeta(snapshot_meta_));
  PutRecord(&buf, kHardState, raft::EncodeHardState(hard_state_));
  for (const raft::Entry& e : entries_) PutRecord(&buf, kRewrittenEntry, raft::EncodeEntry(e));
  SB_RETURN_IF_ERROR(OpenSegment(segment_seq_ + 1, /*truncate=*/true));
  SB_RETURN_IF_ERROR(wal_->Append(buf));
  SB_RETURN_IF_ERROR(wal_->Sync());
  ++fsyncs_;
  for (uint64_t seq : old_segments_) SB_RETURN_IF_ERROR(env_->Remove(WalPath(seq)));
  old_segments_.clear();
  return env_->SyncDir(dir_ + "/wal");
}

}  // namespace splitbrain::node

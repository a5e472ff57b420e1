#include "raft/codec.h"

#include <bit>
#include <cstdint>
#include <cstring>

namespace splitbrain::raft {

namespace {

// Format bytes: one per record kind, so a record of one kind never decodes as another.
constexpr uint8_t kEntryTag = 0xE1;
constexpr uint8_t kHardStateTag = 0xE2;
constexpr uint8_t kMembershipTag = 0xE3;
constexpr uint8_t kSnapshotMetaTag = 0xE4;
constexpr uint8_t kConfChangeTag = 0xE5;
constexpr uint8_t kMessageTag = 0xE6;
constexpr uint8_t kMaxMessageType = static_cast<uint8_t>(MessageType::kTransferLeader);

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  // Little-endian, appended at once (a push_back per byte was a twentieth of a simulated run).
  void U32(uint32_t v) { Put(v, 4); }
  void U64(uint64_t v) { Put(v, 8); }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_->append(s.data(), s.size());
  }

 private:
  void Put(uint64_t v, size_t bytes) {
    char b[8];
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(b, &v, sizeof b);
    } else {
      for (size_t i = 0; i < bytes; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    out_->append(b, bytes);
  }
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.size() < 1) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= uint32_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    *v = r;
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= uint64_t{static_cast<uint8_t>(in_[i])} << (8 * i);
    *v = r;
    in_.remove_prefix(8);
    return true;
  }
  bool Bool(bool* v) {
    uint8_t b;
    if (!U8(&b) || b > 1) return false;
    *v = b == 1;
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || in_.size() < n) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  // A count of items each at least `min_size` bytes: refuse counts the input cannot hold.
  bool Count(uint32_t* n, size_t min_size) {
    if (!U32(n)) return false;
    return static_cast<uint64_t>(*n) * min_size <= in_.size();
  }
  bool Done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void PutEntry(Writer& w, const Entry& e) {
  w.U64(e.index);
  w.U64(e.term);
  w.U8(static_cast<uint8_t>(e.type));
  w.Str(e.data);
}
bool GetEntry(Reader& r, Entry* e) {
  uint8_t type;
  if (!r.U64(&e->index) || !r.U64(&e->term) || !r.U8(&type) || type > 2 || !r.Str(&e->data)) {
    return false;
  }
  e->type = static_cast<EntryType>(type);
  return true;
}
constexpr size_t kMinEntryBytes = 8 + 8 + 1 + 4;

void PutIds(Writer& w, const std::vector<NodeId>& ids) {
  w.U32(static_cast<uint32_t>(ids.size()));
  for (NodeId id : ids) w.U64(id);
}
bool GetIds(Reader& r, std::vector<NodeId>* ids) {
  uint32_t n;
  if (!r.Count(&n, 8)) return false;
  ids->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (!r.U64(&(*ids)[i])) return false;
  }
  return true;
}
void PutMembership(Writer& w, const Membership& m) {
  PutIds(w, m.voters);
  PutIds(w, m.learners);
}
bool GetMembership(Reader& r, Membership* m) {
  return GetIds(r, &m->voters) && GetIds(r, &m->learners);
}

void PutMeta(Writer& w, const SnapshotMeta& meta) {
  w.U64(meta.index);
  w.U64(meta.term);
  PutMembership(w, meta.membership);
}
bool GetMeta(Reader& r, SnapshotMeta* meta) {
  return r.U64(&meta->index) && r.U64(&meta->term) && GetMembership(r, &meta->membership);
}

bool Tag(Reader& r, uint8_t want) {
  uint8_t t;
  return r.U8(&t) && t == want;
}

}  // namespace

std::string EncodeEntry(const Entry& e) {
  std::string out;
  out.reserve(e.data.size() + 22);
  Writer w(&out);
  w.U8(kEntryTag);
  PutEntry(w, e);
  return out;
}
bool DecodeEntry(std::string_view in, Entry* out) {
  Reader r(in);
  return Tag(r, kEntryTag) && GetEntry(r, out) && r.Done();
}

std::string EncodeHardState(const HardState& hs) {
  std::string out;
  Writer w(&out);
  w.U8(kHardStateTag);
  w.U64(hs.term);
  w.U64(hs.vote);
  w.U64(hs.commit);
  return out;
}
bool DecodeHardState(std::string_view in, HardState* out) {
  Reader r(in);
  return Tag(r, kHardStateTag) && r.U64(&out->term) && r.U64(&out->vote) && r.U64(&out->commit) &&
         r.Done();
}

std::string EncodeMembership(const Membership& m) {
  std::string out;
  Writer w(&out);
  w.U8(kMembershipTag);
  PutMembership(w, m);
  return out;
}
bool DecodeMembership(std::string_view in, Membership* out) {
  Reader r(in);
  return Tag(r, kMembershipTag) && GetMembership(r, out) && r.Done();
}

std::string EncodeSnapshotMeta(const SnapshotMeta& meta) {
  std::string out;
  Writer w(&out);
  w.U8(kSnapshotMetaTag);
  PutMeta(w, meta);
  return out;
}
bool DecodeSnapshotMeta(std::string_view in, SnapshotMeta* out) {
  Reader r(in);
  return Tag(r, kSnapshotMetaTag) && GetMeta(r, out) && r.Done();
}

std::string EncodeConfChange(const ConfChange& cc) {
  std::string out;
  Writer w(&out);
  w.U8(kConfChangeTag);
  w.U8(static_cast<uint8_t>(cc.type));
  w.U64(cc.node);
  return out;
}
bool DecodeConfChange(std::string_view in, ConfChange* out) {
  Reader r(in);
  uint8_t type;
  if (!Tag(r, kConfChangeTag) || !r.U8(&type) || type > 2 || !r.U64(&out->node) || !r.Done()) {
    return false;
  }
  out->type = static_cast<ConfChange::Type>(type);
  return true;
}

std::string EncodeMessage(const Message& m) {
  std::string out;
  AppendMessage(m, &out);
  return out;
}

void AppendMessage(const Message& m, std::string* out) {
  size_t size = 128 + m.context.size() + m.data.size();
  for (const Entry& e : m.entries) size += e.data.size() + kMinEntryBytes;
  out->reserve(out->size() + size);
  Writer w(out);
  w.U8(kMessageTag);
  w.U8(static_cast<uint8_t>(m.type));
  w.U64(m.from);
  w.U64(m.to);
  w.U64(m.term);
  w.U64(m.log_term);
  w.U64(m.index);
  w.U64(m.commit);
  w.U8(m.reject ? 1 : 0);
  w.U64(m.hint_index);
  w.U64(m.hint_term);
  w.U32(static_cast<uint32_t>(m.entries.size()));
  for (const Entry& e : m.entries) PutEntry(w, e);
  w.Str(m.context);
  PutMeta(w, m.snapshot);
  w.U64(m.offset);
  w.Str(m.data);
  w.U8(m.done ? 1 : 0);
}

bool DecodeMessage(std::string_view in, Message* out) {
  Reader r(in);
  uint8_t type;
  if (!Tag(r, kMessageTag) || !r.U8(&type) || type > kMaxMessageType) return false;
  out->type = static_cast<MessageType>(type);
  if (!r.U64(&out->from) || !r.U64(&out->to) || !r.U64(&out->term) || !r.U64(&out->log_term) ||
      !r.U64(&out->index) || !r.U64(&out->commit) || !r.Bool(&out->reject) ||
      !r.U64(&out->hint_index) || !r.U64(&out->hint_term)) {
    return false;
  }
  uint32_t n;
  if (!r.Count(&n, kMinEntryBytes)) return false;
  out->entries.clear();
  out->entries.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (!GetEntry(r, &out->entries[i])) return false;
  }
  return r.Str(&out->context) && GetMeta(r, &out->snapshot) && r.U64(&out->offset) &&
         r.Str(&out->data) && r.Bool(&out->done) && r.Done();
}

}  // namespace splitbrain::raft

#include "raft/codec.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace splitbrain::raft {
namespace {

Message FullMessage() {
  Message m;
  m.type = MessageType::kSnap;
  m.from = 1;
  m.to = 0xFFFFFFFFFFFFFFFFULL;
  m.term = 7;
  m.log_term = 6;
  m.index = 1234567890123ULL;
  m.commit = 99;
  m.reject = true;
  m.hint_index = 5;
  m.hint_term = 4;
  m.entries = {Entry{1, 1, EntryType::kConfig, std::string("\0\1\2", 3)},
               Entry{2, 7, EntryType::kNoop, ""}, Entry{3, 7, EntryType::kNormal, "hello"}};
  m.context = "read-42";
  m.snapshot.index = 10;
  m.snapshot.term = 3;
  m.snapshot.membership.voters = {1, 2, 3};
  m.snapshot.membership.learners = {9};
  m.offset = 64;
  m.data = std::string(100, 'x');
  m.done = true;
  return m;
}

TEST(Codec, RoundTripsEveryRecord) {
  Message m = FullMessage();
  Message back;
  ASSERT_TRUE(DecodeMessage(EncodeMessage(m), &back));
  EXPECT_EQ(back, m);
  Message empty;
  ASSERT_TRUE(DecodeMessage(EncodeMessage(empty), &back));
  EXPECT_EQ(back, empty);

  Entry e{5, 3, EntryType::kNormal, std::string(1000, '\xff')}, e2;
  ASSERT_TRUE(DecodeEntry(EncodeEntry(e), &e2));
  EXPECT_EQ(e2, e);
  HardState hs{9, 2, 77}, hs2;
  ASSERT_TRUE(DecodeHardState(EncodeHardState(hs), &hs2));
  EXPECT_EQ(hs2, hs);
  SnapshotMeta meta = m.snapshot, meta2;
  ASSERT_TRUE(DecodeSnapshotMeta(EncodeSnapshotMeta(meta), &meta2));
  EXPECT_EQ(meta2, meta);
  ConfChange cc{ConfChange::Type::kAddLearner, 4}, cc2;
  ASSERT_TRUE(DecodeConfChange(EncodeConfChange(cc), &cc2));
  EXPECT_EQ(cc2, cc);
  Membership mem = meta.membership, mem2;
  ASSERT_TRUE(DecodeMembership(EncodeMembership(mem), &mem2));
  EXPECT_EQ(mem2, mem);
}

TEST(Codec, AppendMessageKeepsWhatPrecedesIt) {
  // The transport appends a message after a frame's 4-byte length prefix.
  const Message m = FullMessage();
  std::string out("\xAA\xBB\xCC\xDD", 4);
  AppendMessage(m, &out);
  ASSERT_EQ(out.substr(0, 4), std::string("\xAA\xBB\xCC\xDD", 4));
  EXPECT_EQ(out.substr(4), EncodeMessage(m));
  Message back;
  ASSERT_TRUE(DecodeMessage(std::string_view(out).substr(4), &back));
  EXPECT_EQ(back, m);
}

TEST(Codec, EveryTruncationIsRejected) {
  const std::string full = EncodeMessage(FullMessage());
  for (size_t n = 0; n < full.size(); ++n) {
    Message out;
    EXPECT_FALSE(DecodeMessage(std::string_view(full).substr(0, n), &out)) << "length " << n;
  }
  const std::string entry = EncodeEntry(Entry{1, 2, EntryType::kNormal, "abc"});
  for (size_t n = 0; n < entry.size(); ++n) {
    Entry out;
    EXPECT_FALSE(DecodeEntry(std::string_view(entry).substr(0, n), &out));
  }
  const std::string hs = EncodeHardState({1, 2, 3});
  for (size_t n = 0; n < hs.size(); ++n) {
    HardState out;
    EXPECT_FALSE(DecodeHardState(std::string_view(hs).substr(0, n), &out));
  }
}

TEST(Codec, TrailingBytesAndWrongKindsAreRejected) {
  Message out;
  EXPECT_FALSE(DecodeMessage(EncodeMessage(FullMessage()) + "x", &out));
  HardState hs;
  EXPECT_FALSE(DecodeHardState(EncodeEntry(Entry{}), &hs));
  Entry e;
  EXPECT_FALSE(DecodeEntry(EncodeHardState({}), &e));
  std::string bad_type = EncodeEntry(Entry{1, 1, EntryType::kNormal, ""});
  bad_type[17] = 9;  // entry type byte
  EXPECT_FALSE(DecodeEntry(bad_type, &e));
  std::string bad_bool = EncodeMessage(Message{});
  bad_bool[1 + 1 + 6 * 8] = 2;  // reject flag
  EXPECT_FALSE(DecodeMessage(bad_bool, &out));
}

TEST(Codec, HugeCountsDoNotAllocate) {
  // An entry count of 2^32-1 with nothing behind it must be refused before any allocation.
  std::string m = EncodeMessage(Message{});
  const size_t count_at = 1 + 1 + 6 * 8 + 1 + 2 * 8;
  for (int i = 0; i < 4; ++i) m[count_at + i] = '\xff';
  Message out;
  EXPECT_FALSE(DecodeMessage(m, &out));
  std::string mem = EncodeMembership(Membership{});
  for (int i = 0; i < 4; ++i) mem[1 + i] = '\xff';
  Membership mo;
  EXPECT_FALSE(DecodeMembership(mem, &mo));
}

TEST(Codec, RandomGarbageNeverCrashes) {
  // Mutations of a valid message and pure noise: decoders return, true or false, never crash.
  uint64_t s = 12345;
  auto next = [&] { return s = s * 6364136223846793005ULL + 1442695040888963407ULL; };
  const std::string valid = EncodeMessage(FullMessage());
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string in = valid;
    int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f)
      in[(next() >> 11) % in.size()] = static_cast<char>(next() >> 56);
    if (next() % 4 == 0) in.resize((next() >> 7) % in.size());
    Message out;
    accepted += DecodeMessage(in, &out);
    std::string noise((next() >> 5) % 64, '\0');
    for (char& c : noise) c = static_cast<char>(next() >> 56);
    Entry e;
    HardState hs;
    SnapshotMeta meta;
    ConfChange cc;
    DecodeEntry(noise, &e);
    DecodeHardState(noise, &hs);
    DecodeSnapshotMeta(noise, &meta);
    DecodeConfChange(noise, &cc);
    DecodeMessage(noise, &out);
  }
  EXPECT_GT(accepted, 0);  // flips inside data bytes stay valid
  EXPECT_LT(accepted, 20000);
}

}  // namespace
}  // namespace splitbrain::raft

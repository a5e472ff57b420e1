// Fuzz target: the raft wire and record codec (raft/codec.h). Every decoder sees the input (each
// checks its own format byte); whatever decodes must encode back to exactly the input bytes (the
// encoding is canonical), so a decoder that accepts something it should not is found too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "raft/codec.h"

namespace {

template <typename T, typename Decode, typename Encode>
void RoundTrip(std::string_view in, Decode decode, Encode encode) {
  T value;
  if (decode(in, &value) && encode(value) != in) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace raft = splitbrain::raft;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  RoundTrip<raft::Message>(in, raft::DecodeMessage, raft::EncodeMessage);
  RoundTrip<raft::Entry>(in, raft::DecodeEntry, raft::EncodeEntry);
  RoundTrip<raft::HardState>(in, raft::DecodeHardState, raft::EncodeHardState);
  RoundTrip<raft::Membership>(in, raft::DecodeMembership, raft::EncodeMembership);
  RoundTrip<raft::SnapshotMeta>(in, raft::DecodeSnapshotMeta, raft::EncodeSnapshotMeta);
  RoundTrip<raft::ConfChange>(in, raft::DecodeConfChange, raft::EncodeConfChange);
  return 0;
}

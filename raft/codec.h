// A pure binary codec for raft values: the wire format between nodes and the record format of the
// WAL. Little-endian fixed-width integers, u32 length-prefixed strings, a leading format byte.
// Decoders never crash and never allocate more than the input can describe: malformed,
// truncated or trailing input makes them return false (the output is then unspecified).
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "raft/types.h"

namespace splitbrain::raft {

std::string EncodeEntry(const Entry& e);
bool DecodeEntry(std::string_view in, Entry* out);

std::string EncodeHardState(const HardState& hs);
bool DecodeHardState(std::string_view in, HardState* out);

std::string EncodeMembership(const Membership& m);
bool DecodeMembership(std::string_view in, Membership* out);

std::string EncodeSnapshotMeta(const SnapshotMeta& meta);
bool DecodeSnapshotMeta(std::string_view in, SnapshotMeta* out);

std::string EncodeConfChange(const ConfChange& cc);
bool DecodeConfChange(std::string_view in, ConfChange* out);

std::string EncodeMessage(const Message& m);
// EncodeMessage's bytes appended to *out (a transport frame after its length prefix, no copy).
void AppendMessage(const Message& m, std::string* out);
bool DecodeMessage(std::string_view in, Message* out);

}  // namespace splitbrain::raft

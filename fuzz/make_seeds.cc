// Writes the seed corpora that must come from the project's own encoders: encoded raft values
// (corpus/codec/) and WAL segments written by node::Storage (corpus/wal/). Run by hand after a
// format change: build-test/fuzz/make_seeds fuzz/corpus (the other corpora are hand-written).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "node/env.h"
#include "node/storage.h"
#include "raft/codec.h"

namespace {

namespace raft = splitbrain::raft;
using splitbrain::node::FaultyEnv;
using splitbrain::node::Storage;

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

raft::Entry E(uint64_t index, uint64_t term, std::string data) {
  return {index, term, raft::EntryType::kNormal, std::move(data)};
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "make_seeds: %s failed\n", what);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR (fuzz/corpus)\n");
    return 2;
  }
  const std::string dir = argv[1];

  // codec: one message of each shape, and each record kind.
  raft::Message app;
  app.type = raft::MessageType::kApp;
  app.from = 1, app.to = 2, app.term = 3, app.log_term = 2, app.index = 7, app.commit = 6;
  app.entries = {E(8, 3, R"({"op":"write","key":"x","value":1})"), E(9, 3, "")};
  app.entries[1].type = raft::EntryType::kNoop;
  Write(dir + "/codec/append", raft::EncodeMessage(app));
  raft::Message resp;
  resp.type = raft::MessageType::kAppResp;
  resp.from = 2, resp.to = 1, resp.term = 3, resp.reject = true, resp.hint_index = 5;
  resp.hint_term = 2;
  Write(dir + "/codec/append-reject", raft::EncodeMessage(resp));
  raft::Message snap;
  snap.type = raft::MessageType::kSnap;
  snap.from = 1, snap.to = 3, snap.term = 4;
  snap.snapshot = {10, 4, {{1, 2, 3}, {4}}};
  snap.offset = 0, snap.data = "image", snap.done = true;
  Write(dir + "/codec/snapshot", raft::EncodeMessage(snap));
  raft::Message read;
  read.type = raft::MessageType::kReadIndex;
  read.from = 2, read.to = 1, read.term = 4, read.context = "r17";
  Write(dir + "/codec/read-index", raft::EncodeMessage(read));
  Write(dir + "/codec/entry", raft::EncodeEntry(E(3, 1, "data")));
  Write(dir + "/codec/hard-state", raft::EncodeHardState({5, 2, 4}));
  Write(dir + "/codec/membership", raft::EncodeMembership({{1, 2, 3}, {4, 5}}));
  Write(dir + "/codec/conf-change",
        raft::EncodeConfChange({raft::ConfChange::Type::kAddLearner, 4}));

  // wal: segments as a node writes them.
  {
    FaultyEnv env;
    auto s = Storage::Open(&env, "d");
    Check(s.ok(), "open");
    Check((*s)->Append({E(1, 1, "a"), E(2, 1, "b")}, raft::HardState{1, 1, 1}).ok(), "append");
    Check((*s)->Append({E(2, 2, "c"), E(3, 2, "d")}, raft::HardState{2, 2, 3}).ok(), "append");
    Write(dir + "/wal/entries-and-hard-state", env.Contents("d/wal/0000000000000001.wal"));
    Check((*s)->SaveSnapshot({{2, 2, {{1, 2}, {}}}, "image"}).ok(), "snapshot");
    Check((*s)->Append({E(4, 2, "e")}, raft::HardState{2, 2, 4}).ok(), "append");
    Write(dir + "/wal/after-snapshot", env.Contents("d/wal/0000000000000002.wal"));
    std::string torn = env.Contents("d/wal/0000000000000002.wal");
    Write(dir + "/wal/torn-tail", torn.substr(0, torn.size() - 3));
  }
  return 0;
}

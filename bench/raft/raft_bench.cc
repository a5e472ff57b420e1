// Committed entries per second through a 3-node in-memory cluster: the raft cores only (no disk,
// no codec, no sockets), messages handed over directly, each Ready processed in the documented
// order. Run: build-raft/bench/raft/raft_bench
#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "raft/raft.h"

namespace splitbrain::raft {
namespace {

class Cluster3 {
 public:
  explicit Cluster3(uint64_t max_entries_per_msg) {
    for (NodeId id = 1; id <= 3; ++id) {
      Config c;
      c.id = id;
      c.initial_membership.voters = {1, 2, 3};
      c.max_entries_per_msg = max_entries_per_msg;
      c.max_inflight_msgs = 256;
      nodes_.push_back(std::make_unique<Raft>(c));
    }
    nodes_[0]->Campaign();
    for (int i = 0; i < 100 && nodes_[0]->role() != Role::kLeader; ++i) Pump();
    for (int i = 0; i < 10; ++i) Pump();
  }
  Raft& leader() { return *nodes_[0]; }

  // One round: every node's Ready is "persisted" (entries kept, as a WAL append would), its
  // messages delivered, its committed entries applied.
  void Pump() {
    for (auto& n : nodes_) {
      if (!n->HasReady()) continue;
      Ready rd = n->GetReady();
      persisted_ += rd.entries.size();
      for (Message& m : rd.messages) queue_.push_back(std::move(m));
      applied_ += rd.committed_entries.size();
      n->Advance();
    }
    std::deque<Message> q;
    q.swap(queue_);
    for (Message& m : q) nodes_[m.to - 1]->Step(m);
  }
  void MaybeCompact() {
    for (auto& n : nodes_) {
      BasicStatus s = n->Status();
      if (s.applied > s.snapshot_index + 200000) n->CreateSnapshot(s.applied, "snapshot");
    }
  }
  uint64_t applied_ = 0, persisted_ = 0;

 private:
  std::vector<std::unique_ptr<Raft>> nodes_;
  std::deque<Message> queue_;
};

// state.range(0) = entries per proposal (Propose for 1, ProposeBatch otherwise).
void BM_CommitThroughput(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  Cluster3 c(256);
  const std::string payload(64, 'v');
  const uint64_t start = c.leader().log().commit();
  uint64_t rounds = 0;
  for (auto _ : state) {
    if (batch == 1) {
      c.leader().Propose(payload);
    } else {
      c.leader().ProposeBatch(std::vector<std::string>(static_cast<size_t>(batch), payload));
    }
    c.Pump();
    if (++rounds % 4096 == 0) c.MaybeCompact();
  }
  for (int i = 0; i < 20; ++i) c.Pump();
  const uint64_t committed = c.leader().log().commit() - start;
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
  state.counters["committed"] = static_cast<double>(committed);
}
BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace splitbrain::raft

BENCHMARK_MAIN();

// Unit tests of the Raft core: one test per rule of the paper's Figure 2, the scenarios of
// Figures 7 and 8, and the extensions (Pre-Vote, CheckQuorum, ReadIndex, leases, snapshots,
// membership, transfer). Each names the section it checks. Label `unit`.
#include "raft/raft.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "raft/codec.h"

namespace splitbrain::raft {
namespace {

Membership Voters(int n) {
  Membership m;
  for (int i = 1; i <= n; ++i) m.voters.push_back(static_cast<NodeId>(i));
  return m;
}

std::string DataOf(uint64_t index, uint64_t term) {
  return "i" + std::to_string(index) + "t" + std::to_string(term);
}

// Durable state whose log has the given terms at indexes 1.. (entry 1 holds the membership).
DurableState LogWithTerms(const std::vector<uint64_t>& terms, uint64_t term, Membership m,
                          uint64_t commit = 1) {
  DurableState d;
  d.hard_state.term = term;
  d.hard_state.commit = commit;
  for (size_t i = 0; i < terms.size(); ++i) {
    Entry e{i + 1, terms[i], EntryType::kNormal, DataOf(i + 1, terms[i])};
    if (i == 0) {
      e.type = EntryType::kConfig;
      e.data = EncodeMembership(m);
    }
    d.entries.push_back(e);
  }
  return d;
}

std::vector<uint64_t> TermsOf(const Raft& r) {
  std::vector<uint64_t> t;
  for (uint64_t i = r.log().FirstIndex(); i <= r.log().LastIndex(); ++i)
    t.push_back(r.log().At(i).term);
  return t;
}

Config BaseConfig(NodeId id, int n) {
  Config c;
  c.id = id;
  c.initial_membership = Voters(n);
  uint64_t state = id * 7919;
  c.rand = [state]() mutable {
    return state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  };
  return c;
}

// A hand-driven network: FIFO delivery, optional filter, storage and state machine per node.
class Net {
 public:
  explicit Net(int n, const std::function<void(Config&)>& tweak = nullptr,
               std::map<NodeId, DurableState> restore = {}) {
    for (int i = 1; i <= n; ++i) {
      Config c = BaseConfig(static_cast<NodeId>(i), n);
      if (restore.count(static_cast<NodeId>(i))) c.restore = restore[static_cast<NodeId>(i)];
      if (tweak) tweak(c);
      configs[static_cast<NodeId>(i)] = c;
      nodes[static_cast<NodeId>(i)] = std::make_unique<Raft>(c);
    }
    Drain();
  }
  Raft& operator[](NodeId id) { return *nodes.at(id); }

  // Collects every Ready and delivers messages until the network is quiet.
  void Drain(int max_rounds = 10000) {
    for (int round = 0; round < max_rounds; ++round) {
      Collect();
      if (queue.empty()) return;
      Message m = std::move(queue.front());
      queue.pop_front();
      if (down.count(m.to) || down.count(m.from) || cut.count({m.from, m.to})) continue;
      if (filter && !filter(m)) continue;
      if (!nodes.count(m.to)) continue;
      delivered.push_back(m);
      nodes[m.to]->Step(m);
    }
  }
  void Collect() {
    for (auto& [id, r] : nodes) {
      while (r->HasReady()) {
        Ready rd = r->GetReady();
        if (rd.hard_state) hard[id] = *rd.hard_state;
        for (Message& m : rd.messages) queue.push_back(std::move(m));
        for (const Entry& e : rd.committed_entries) applied[id].push_back(e);
        for (const ReadState& rs : rd.read_states) reads[id].push_back(rs);
        if (rd.snapshot) snapshots[id].push_back(*rd.snapshot);
        r->Advance();
      }
    }
  }
  void Tick(NodeId id, int n = 1) {
    for (int i = 0; i < n; ++i) nodes[id]->Tick();
  }
  void TickAll(int n = 1) {
    for (int i = 0; i < n; ++i) {
      for (auto& [id, r] : nodes) {
        if (!down.count(id)) r->Tick();
      }
      Drain();
    }
  }
  void Elect(NodeId id) {
    nodes[id]->Campaign();
    Drain();
  }

  std::map<NodeId, Config> configs;
  std::map<NodeId, std::unique_ptr<Raft>> nodes;
  std::map<NodeId, HardState> hard;
  std::map<NodeId, std::vector<Entry>> applied;
  std::map<NodeId, std::vector<ReadState>> reads;
  std::map<NodeId, std::vector<Snapshot>> snapshots;
  std::deque<Message> queue;
  std::vector<Message> delivered;
  std::set<NodeId> down;
  std::set<std::pair<NodeId, NodeId>> cut;
  std::function<bool(Message&)> filter;  // may edit the message; false drops it
};

void NoPreVote(Config& c) {
  c.pre_vote = false;
  c.check_quorum = false;
}

Message Msg(MessageType type, NodeId from, NodeId to, uint64_t term) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  return m;
}

std::vector<Message> Out(Raft& r) { return r.GetReady().messages; }

// ---------------------------------------------------------------------------------------------
// Figure 2, "All Servers"

TEST(Figure2AllServers, HigherTermConvertsLeaderToFollower) {
  // §5.1: if RPC request or response contains term T > currentTerm: set currentTerm = T,
  // convert to follower.
  Net net(3, NoPreVote);
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  const uint64_t t = net[1].term();
  Message m = Msg(MessageType::kAppResp, 2, 1, t + 5);
  net[1].Step(m);
  EXPECT_EQ(net[1].role(), Role::kFollower);
  EXPECT_EQ(net[1].term(), t + 5);
}

TEST(Figure2AllServers, CommittedEntriesAreAppliedOnceInOrder) {
  // §5.3: if commitIndex > lastApplied: increment lastApplied, apply log[lastApplied].
  Net net(3);
  net.Elect(1);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(net[1].Propose("v" + std::to_string(i)), Err::kOk);
  net.Drain();
  net.TickAll(2);  // heartbeats carry the commit index to followers
  for (NodeId id = 1; id <= 3; ++id) {
    const auto& a = net.applied[id];
    ASSERT_FALSE(a.empty());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].index, i + 1) << "node " << id;
    EXPECT_EQ(a.back().index, net[1].log().commit());
    EXPECT_EQ(a.back().data, "v19");
  }
}

TEST(Figure2AllServers, StaleTermMessagesAreRejected) {
  // §5.1: a request with a stale term is rejected and the reply carries the current term.
  Net net(3, NoPreVote);
  net.Elect(1);
  net.Elect(2);  // term 3
  Message app = Msg(MessageType::kApp, 1, 3, 2);
  EXPECT_EQ(net[3].Step(app), Err::kStaleMessage);
}

// ---------------------------------------------------------------------------------------------
// Figure 2, "Followers" and "Candidates"

TEST(Figure2Followers, ElectionTimeoutStartsElection) {
  // §5.2: if election timeout elapses without AppendEntries or granting a vote: convert to
  // candidate. The timeout is randomized in [election_ticks, 2 * election_ticks).
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.GetReady();
  int ticks = 0;
  while (r.role() == Role::kFollower && ticks < 100) {
    r.Tick();
    ++ticks;
  }
  EXPECT_EQ(r.role(), Role::kCandidate);
  EXPECT_GE(ticks, c.election_ticks);
  EXPECT_LT(ticks, 2 * c.election_ticks);
}

TEST(Figure2Followers, AppendEntriesResetsElectionTimer) {
  // §5.2: a follower remains a follower while it receives valid RPCs from the leader.
  Config c = BaseConfig(2, 3);
  NoPreVote(c);
  Raft r(c);
  r.GetReady();
  for (int i = 0; i < 100; ++i) {
    r.Tick();
    Message hb = Msg(MessageType::kHeartbeat, 1, 2, 1);
    r.Step(hb);
  }
  EXPECT_EQ(r.role(), Role::kFollower);
  EXPECT_EQ(r.leader(), 1u);
}

TEST(Figure2Candidates, CampaignIncrementsTermVotesForSelfAndRequestsVotes) {
  // §5.2: on conversion to candidate: increment currentTerm, vote for self, send RequestVote
  // (with lastLogIndex and lastLogTerm) to all other servers.
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.GetReady();
  const uint64_t t = r.term();
  r.Campaign();
  Ready rd = r.GetReady();
  EXPECT_EQ(r.term(), t + 1);
  ASSERT_TRUE(rd.hard_state);
  EXPECT_EQ(rd.hard_state->vote, 1u);
  EXPECT_EQ(rd.hard_state->term, t + 1);
  ASSERT_EQ(rd.messages.size(), 2u);
  for (const Message& m : rd.messages) {
    EXPECT_EQ(m.type, MessageType::kVote);
    EXPECT_EQ(m.term, t + 1);
    EXPECT_EQ(m.index, r.log().LastIndex());
    EXPECT_EQ(m.log_term, r.log().LastTerm());
  }
}

TEST(Figure2Candidates, MajorityOfVotesMakesLeader) {
  // §5.2: if votes received from majority of servers: become leader. One vote is not enough
  // in a 5-node cluster; two (plus its own) are.
  Config c = BaseConfig(1, 5);
  NoPreVote(c);
  Raft r(c);
  r.Campaign();
  r.GetReady();
  Message v = Msg(MessageType::kVoteResp, 2, 1, r.term());
  r.Step(v);
  EXPECT_EQ(r.role(), Role::kCandidate);
  v.from = 3;
  r.Step(v);
  EXPECT_EQ(r.role(), Role::kLeader);
}

TEST(Figure2Candidates, RejectionsFromMajorityEndCandidacy) {
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.Campaign();
  r.GetReady();
  Message v = Msg(MessageType::kVoteResp, 2, 1, r.term());
  v.reject = true;
  r.Step(v);
  v.from = 3;
  r.Step(v);
  EXPECT_EQ(r.role(), Role::kFollower);
}

TEST(Figure2Candidates, AppendEntriesFromNewLeaderMakesFollower) {
  // §5.2: if AppendEntries RPC received from new leader: convert to follower.
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.Campaign();
  r.GetReady();
  Message hb = Msg(MessageType::kHeartbeat, 2, 1, r.term());
  r.Step(hb);
  EXPECT_EQ(r.role(), Role::kFollower);
  EXPECT_EQ(r.leader(), 2u);
}

TEST(Figure2Candidates, ElectionTimeoutStartsNewElection) {
  // §5.2: if election timeout elapses: start new election (split vote).
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.Campaign();
  const uint64_t t = r.term();
  for (int i = 0; i < 2 * c.election_ticks; ++i) r.Tick();
  EXPECT_EQ(r.role(), Role::kCandidate);
  EXPECT_GT(r.term(), t);
}

// ---------------------------------------------------------------------------------------------
// Figure 2, "Leaders"

TEST(Figure2Leaders, SendsAppendEntriesOnElectionAndHeartbeatsWhenIdle) {
  // §5.2: upon election send initial AppendEntries to each server; repeat during idle periods.
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.Campaign();
  r.GetReady();
  Message v = Msg(MessageType::kVoteResp, 2, 1, r.term());
  r.Step(v);
  ASSERT_EQ(r.role(), Role::kLeader);
  auto msgs = Out(r);
  int apps = 0;
  for (const Message& m : msgs) apps += m.type == MessageType::kApp;
  EXPECT_EQ(apps, 2);
  for (int i = 0; i < c.heartbeat_ticks; ++i) r.Tick();
  int hbs = 0;
  for (const Message& m : Out(r)) hbs += m.type == MessageType::kHeartbeat;
  EXPECT_EQ(hbs, 2);
}

TEST(Figure2Leaders, ClientCommandIsAppendedReplicatedAndCommitted) {
  // §5.3: append the command to the local log, respond after it is applied; nextIndex/matchIndex.
  Net net(3);
  net.Elect(1);
  uint64_t index = 0;
  ASSERT_EQ(net[1].Propose("x", &index), Err::kOk);
  EXPECT_EQ(net[1].log().At(index).data, "x");
  net.Drain();
  EXPECT_EQ(net[1].log().commit(), index);
  EXPECT_EQ(net[1].ProgressOf(2)->match, index);
  EXPECT_EQ(net[1].ProgressOf(3)->next, index + 1);
  EXPECT_EQ(net[2].Propose("y"), Err::kNotLeader);
}

TEST(Figure2Leaders, RejectedAppendBacksUpNextIndexByWholeTerms) {
  // §5.3: if AppendEntries fails because of log inconsistency: decrement nextIndex and retry;
  // with the conflict hint, one round trip skips a whole term.
  Membership m = Voters(2);
  std::map<NodeId, DurableState> disk;
  disk[1] = LogWithTerms({1, 1, 4, 4, 4, 4, 4, 4}, 4, m);
  disk[2] = LogWithTerms({1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 3, m);
  Net net(2, NoPreVote, disk);
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(TermsOf(net[2]), TermsOf(net[1]));
  int rejects = 0;
  for (const Message& msg : net.delivered)
    rejects += msg.type == MessageType::kAppResp && msg.reject;
  EXPECT_LE(rejects, 2) << "fast backup should need at most two rejections here";
}

TEST(Figure2Leaders, CommitsOnlyEntriesOfCurrentTermByCounting) {
  // §5.4.2: if there exists N > commitIndex, a majority of matchIndex[i] >= N, and
  // log[N].term == currentTerm: set commitIndex = N.
  Membership m = Voters(3);
  std::map<NodeId, DurableState> disk;
  disk[1] = LogWithTerms({1, 2}, 2, m);
  disk[2] = LogWithTerms({1}, 2, m);
  disk[3] = LogWithTerms({1}, 2, m);
  Net net(
      3,
      [](Config& c) {
        NoPreVote(c);
        c.max_entries_per_msg = 1;
      },
      disk);
  // Only let the old-term entry reach node 2, never the new leader's no-op.
  net.filter = [](Message& msg) {
    std::erase_if(msg.entries, [](const Entry& e) { return e.term == 3; });
    return true;
  };
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].ProgressOf(2)->match, 2u);  // a majority holds index 2 (term 2)...
  EXPECT_EQ(net[1].log().commit(), 1u);        // ...but it is not committed by counting
  net.filter = nullptr;
  net.TickAll(2);
  EXPECT_EQ(net[1].log().commit(), 3u);  // committed with the no-op of term 3
}

TEST(Figure2Persistence, AcknowledgedEntriesAreInTheSameReadyAsTheAck) {
  // Figure 2, "Persistent state ... updated on stable storage before responding to RPCs": the
  // entries a follower acknowledges are handed out for persisting in the Ready that carries the
  // acknowledgement, so the ordering rule makes them durable before the ack leaves.
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1}, 3, Voters(3));
  Raft r(c);
  r.GetReady();
  Message app = Msg(MessageType::kApp, 1, 2, 3);
  app.index = 1;
  app.log_term = 1;
  app.entries = {Entry{2, 3, EntryType::kNormal, "a"}, Entry{3, 3, EntryType::kNormal, "b"}};
  r.Step(app);
  Ready rd = r.GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::kAppResp);
  EXPECT_EQ(rd.messages[0].index, 3u);
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_EQ(rd.entries.back().index, 3u);
}

TEST(Figure2Persistence, LeaderThatSendsBeforeItsWriteCountsItselfOnlyOnceDurable) {
  // Thesis §10.2.1: a leader may write its log in parallel with its followers, but then it is one
  // of the majority that has an entry only once its own copy is durable (Persisted()); until
  // then two followers make the majority without it.
  Net net(3, [](Config& c) { c.leader_counts_durable_only = true; });
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  net.down.insert(3);
  uint64_t x = 0;
  ASSERT_EQ(net[1].Propose("x", &x), Err::kOk);
  net.Drain();
  EXPECT_EQ(net[1].ProgressOf(2)->match, x);
  EXPECT_LT(net[1].log().commit(), x)
      << "n2 and a leader whose copy is not durable yet are no majority";
  net[1].Persisted(x, net[1].term());
  net.Drain();
  EXPECT_EQ(net[1].log().commit(), x);
  // A report naming an entry our log no longer holds at that index counts nothing.
  uint64_t y = 0;
  ASSERT_EQ(net[1].Propose("y", &y), Err::kOk);
  net[1].Persisted(y, net[1].term() + 1);
  net.Drain();
  EXPECT_LT(net[1].log().commit(), y);
  // Two followers commit without the leader's copy.
  net.down.erase(3);
  uint64_t z = 0;
  ASSERT_EQ(net[1].Propose("z", &z), Err::kOk);
  net.TickAll(3);
  EXPECT_EQ(net[1].log().commit(), z);
}

// ---------------------------------------------------------------------------------------------
// Figure 2, RequestVote RPC receiver

TEST(Figure2RequestVote, RejectsStaleTerm) {
  // Receiver rule 1 (§5.1): reply false if term < currentTerm.
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  c.restore.hard_state.term = 5;
  Raft r(c);
  r.GetReady();
  Message v = Msg(MessageType::kVote, 2, 1, 4);
  v.index = 100;
  v.log_term = 4;
  r.Step(v);
  EXPECT_EQ(r.Status().vote, kNoNode);
}

TEST(Figure2RequestVote, OneVotePerTermAndVoteIsDurableBeforeReply) {
  // Receiver rule 2 (§5.2): grant if votedFor is null or candidateId; the vote is in the hard
  // state of the same Ready as the reply (persisted before sending).
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  Raft r(c);
  r.GetReady();
  Message v = Msg(MessageType::kVote, 2, 1, 2);
  v.index = r.log().LastIndex();
  v.log_term = r.log().LastTerm();
  r.Step(v);
  Ready rd = r.GetReady();
  ASSERT_TRUE(rd.hard_state);
  EXPECT_EQ(rd.hard_state->vote, 2u);
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_FALSE(rd.messages[0].reject);
  v.from = 3;
  r.Step(v);
  rd = r.GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_TRUE(rd.messages[0].reject);
  v.from = 2;  // a retry from the same candidate is granted again
  r.Step(v);
  rd = r.GetReady();
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_FALSE(rd.messages[0].reject);
}

TEST(Figure2RequestVote, RejectsCandidateWithLessUpToDateLog) {
  // §5.4.1: compare the last entries' terms, then the lengths.
  Membership m = Voters(3);
  Config c = BaseConfig(1, 3);
  NoPreVote(c);
  c.restore = LogWithTerms({1, 2, 3}, 3, m);
  Raft r(c);
  r.GetReady();
  auto ask = [&](NodeId from, uint64_t term, uint64_t index, uint64_t log_term) {
    Message v = Msg(MessageType::kVote, from, 1, term);
    v.index = index;
    v.log_term = log_term;
    r.Step(v);
    auto msgs = Out(r);
    return !msgs.empty() && !msgs.back().reject;
  };
  EXPECT_FALSE(ask(2, 4, 10, 2));  // longer but older last term
  EXPECT_FALSE(ask(2, 5, 2, 3));   // same last term, shorter
  EXPECT_TRUE(ask(2, 6, 3, 3));    // same last term, same length
  EXPECT_TRUE(ask(3, 7, 1, 4));    // newer last term, shorter
}

// ---------------------------------------------------------------------------------------------
// Figure 2, AppendEntries RPC receiver

Message App(NodeId from, NodeId to, uint64_t term, uint64_t prev, uint64_t prev_term,
            std::vector<std::pair<uint64_t, uint64_t>> entries, uint64_t commit) {
  Message m = Msg(MessageType::kApp, from, to, term);
  m.index = prev;
  m.log_term = prev_term;
  m.commit = commit;
  for (auto [i, t] : entries) m.entries.push_back(Entry{i, t, EntryType::kNormal, DataOf(i, t)});
  return m;
}

TEST(Figure2AppendEntries, RejectsStaleTerm) {
  // Receiver rule 1 (§5.1): reply false if term < currentTerm.
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1}, 5, Voters(3));
  Raft r(c);
  r.GetReady();
  r.Step(App(1, 2, 4, 1, 1, {{2, 4}}, 0));
  EXPECT_EQ(r.log().LastIndex(), 1u);
  auto msgs = Out(r);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].term, 5u);  // tells the stale leader the newer term
}

TEST(Figure2AppendEntries, RejectsWhenPrevEntryDoesNotMatchAndHintsConflict) {
  // Receiver rule 2 (§5.3): reply false if the log has no entry at prevLogIndex with
  // prevLogTerm; the hint names the conflicting term and its first index.
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1, 2, 2, 2}, 3, Voters(3));
  Raft r(c);
  r.GetReady();
  r.Step(App(1, 2, 3, 4, 3, {{5, 3}}, 0));
  auto msgs = Out(r);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].reject);
  EXPECT_EQ(msgs[0].hint_term, 2u);
  EXPECT_EQ(msgs[0].hint_index, 2u);
  r.Step(App(1, 2, 3, 9, 3, {}, 0));  // too short
  msgs = Out(r);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].reject);
  EXPECT_EQ(msgs[0].hint_term, 0u);
  EXPECT_EQ(msgs[0].hint_index, 5u);
}

TEST(Figure2AppendEntries, DeletesConflictingSuffixAndAppendsNewEntries) {
  // Receiver rules 3-4 (§5.3): an existing entry that conflicts with a new one (same index,
  // different terms) is deleted with all that follow; new entries are appended; the rewrite is
  // handed out for persisting from the first changed index.
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1, 2, 2, 2}, 3, Voters(3));
  Raft r(c);
  r.GetReady();
  r.Step(App(1, 2, 3, 2, 2, {{3, 2}, {4, 3}, {5, 3}}, 0));
  EXPECT_EQ(TermsOf(r), (std::vector<uint64_t>{1, 2, 2, 3, 3}));
  Ready rd = r.GetReady();
  ASSERT_EQ(rd.entries.size(), 2u);
  EXPECT_EQ(rd.entries[0].index, 4u);
}

TEST(Figure2AppendEntries, DuplicateOrStaleAppendDoesNotTruncate) {
  // A delayed copy of an earlier AppendEntries from the same leader must not delete entries
  // appended after it (they match, so nothing conflicts).
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1}, 3, Voters(3));
  Raft r(c);
  r.GetReady();
  r.Step(App(1, 2, 3, 1, 1, {{2, 3}, {3, 3}, {4, 3}}, 0));
  r.Step(App(1, 2, 3, 1, 1, {{2, 3}}, 0));
  EXPECT_EQ(r.log().LastIndex(), 4u);
}

TEST(Figure2AppendEntries, CommitIsMinOfLeaderCommitAndLastNewEntry) {
  // Receiver rule 5 (§5.3): if leaderCommit > commitIndex, commitIndex = min(leaderCommit,
  // index of last new entry).
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1, 2, 2, 2, 2}, 3, Voters(3));
  Raft r(c);
  r.GetReady();
  r.Step(App(1, 2, 3, 1, 1, {{2, 2}}, 10));
  EXPECT_EQ(r.log().commit(), 2u);  // entries 3-5 are not known to match the leader's
  r.Step(App(1, 2, 3, 2, 2, {{3, 3}}, 10));
  EXPECT_EQ(r.log().commit(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Figure 7 and Figure 8 scenarios

TEST(Figure7, LeaderBringsEveryFollowerLogIntoAgreement) {
  // §5.3, Figure 7: the leader of term 8 meets followers (a)-(f), missing entries, holding extra
  // uncommitted entries, or both. After replication all logs equal the leader's.
  Membership m = Voters(7);
  std::map<NodeId, DurableState> disk;
  disk[1] = LogWithTerms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6}, 7, m);        // leader
  disk[2] = LogWithTerms({1, 1, 1, 4, 4, 5, 5, 6, 6}, 6, m);           // (a)
  disk[3] = LogWithTerms({1, 1, 1, 4}, 4, m);                          // (b)
  disk[4] = LogWithTerms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 6, m);     // (c)
  disk[5] = LogWithTerms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 7, m);  // (d)
  disk[6] = LogWithTerms({1, 1, 1, 4, 4, 4, 4}, 4, m);                 // (e)
  disk[7] = LogWithTerms({1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 3, m);     // (f)
  Net net(
      7,
      [](Config& c) {
        c.max_entries_per_msg = 3;
        c.check_quorum = false;  // restarted nodes would otherwise sit out one election timeout
      },
      disk);
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].term(), 8u);
  net.TickAll(3);
  const auto want = TermsOf(net[1]);
  EXPECT_EQ(want, (std::vector<uint64_t>{1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8}));
  for (NodeId id = 2; id <= 7; ++id) {
    EXPECT_EQ(TermsOf(net[id]), want) << "follower " << id;
    EXPECT_EQ(net[id].log().commit(), 11u) << "follower " << id;
  }
}

// Figure 8: S1 is leader of term 4 with log [1, 2]; S5 holds [1, 3]. S1 gets the term-2 entry
// onto S2 and S3 (a majority) but not its own no-op, then crashes; S5 runs for term 5.
struct Figure8 {
  explicit Figure8(bool bug)
      : net(
            5,
            [bug](Config& c) {
              NoPreVote(c);
              c.max_entries_per_msg = 1;
              c.bugs.commit_old_term = bug;
            },
            Disks()) {}
  static std::map<NodeId, DurableState> Disks() {
    Membership m = Voters(5);
    std::map<NodeId, DurableState> d;
    d[1] = LogWithTerms({1, 2}, 3, m);
    d[2] = LogWithTerms({1}, 3, m);
    d[3] = LogWithTerms({1}, 3, m);
    d[4] = LogWithTerms({1}, 3, m);
    d[5] = LogWithTerms({1, 3}, 3, m);
    return d;
  }
  void Run() {
    net.down.insert(5);
    // S1's no-op (term 4) never leaves it.
    net.filter = [](Message& msg) {
      std::erase_if(msg.entries, [](const Entry& e) { return e.term == 4; });
      return !(msg.from == 1 && msg.commit >= 2);  // S1 crashes before telling anyone
    };
    net.Elect(1);
    commit_before_crash = net[1].log().commit();
    net.down = {1};
    net.filter = nullptr;
    net.Elect(5);  // term 4: S2-S4 already voted for S1 in term 4
    net.Elect(5);  // term 5
  }
  Net net;
  uint64_t commit_before_crash = 0;
};

TEST(Figure8, OldTermEntryOnMajorityIsNotCommittedAndMayBeOverwrittenSafely) {
  // §5.4.2: S1 must not count replicas of the term-2 entry; S5 (last term 3) may then win and
  // overwrite it, which is safe because it was never committed.
  Figure8 f(false);
  f.Run();
  EXPECT_EQ(f.commit_before_crash, 1u);
  ASSERT_EQ(f.net[5].role(), Role::kLeader);
  EXPECT_EQ(f.net[2].log().TermOr0(2), 3u);
}

TEST(Figure8, CommitOldTermBugLosesACommittedEntry) {
  // The planted bug commits index 2 by counting, and S5 then overwrites it: a committed entry
  // is lost (State Machine Safety broken), exactly Figure 8 (d).
  Figure8 f(true);
  f.Run();
  EXPECT_EQ(f.commit_before_crash, 2u);
  ASSERT_FALSE(f.net.applied[1].empty());
  EXPECT_EQ(f.net.applied[1].back().index, 2u);
  EXPECT_EQ(f.net.applied[1].back().term, 2u);
  ASSERT_EQ(f.net[5].role(), Role::kLeader);
  EXPECT_EQ(f.net[2].log().TermOr0(2), 3u) << "the committed term-2 entry was overwritten";
}

TEST(Figure8, NoOpOnMajorityPreventsOverwrite) {
  // Figure 8 (e): once S1 replicates an entry of its own term to a majority, S5 cannot win.
  Figure8 f(false);
  f.net.down.insert(5);
  f.net.Elect(1);
  EXPECT_EQ(f.net[1].log().commit(), 3u);
  f.net.down = {1};
  f.net.Elect(5);
  f.net.Elect(5);
  EXPECT_NE(f.net[5].role(), Role::kLeader);
}

// ---------------------------------------------------------------------------------------------
// Pre-Vote and CheckQuorum (dissertation §9.6, §6.2)

TEST(PreVote, PartitionedNodeDoesNotBumpItsTerm) {
  Net net(3);
  net.Elect(1);
  const uint64_t t = net[1].term();
  net.cut = {{1, 3}, {2, 3}, {3, 1}, {3, 2}};
  net.TickAll(100);
  EXPECT_EQ(net[3].term(), t);
  EXPECT_EQ(net[3].role(), Role::kPreCandidate);
  net.cut.clear();
  net.TickAll(5);
  EXPECT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].term(), t);
  EXPECT_EQ(net[3].leader(), 1u);
}

TEST(PreVote, WithoutPreVoteRejoiningNodeDeposesLeader) {
  // The contrast (no_prevote): the same partition makes node 3 bump terms and depose node 1.
  Net net(3, [](Config& c) { c.bugs.no_prevote = true; });
  net.Elect(1);
  const uint64_t t = net[1].term();
  net.cut = {{1, 3}, {2, 3}, {3, 1}, {3, 2}};
  net.TickAll(100);
  EXPECT_GT(net[3].term(), t + 3);
  net.cut.clear();
  net.TickAll(3 * net.configs[1].election_ticks);
  EXPECT_GT(net[1].term(), t);
}

TEST(CheckQuorum, LeaderWithoutQuorumStepsDown) {
  Net net(3);
  net.Elect(1);
  net.cut = {{2, 1}, {3, 1}};
  net.TickAll(2 * net.configs[1].election_ticks + 1);
  EXPECT_NE(net[1].role(), Role::kLeader);
}

TEST(CheckQuorum, RestartedNodeIgnoresVotesForOneElectionTimeout) {
  // A node that acknowledged a leader's lease and then crashed must not help elect another
  // leader before that lease could have run out.
  Config c = BaseConfig(2, 3);
  c.restore = LogWithTerms({1}, 4, Voters(3));
  Raft r(c);
  r.GetReady();
  Message v = Msg(MessageType::kVote, 3, 2, 5);
  v.index = 1;
  v.log_term = 1;
  EXPECT_EQ(r.Step(v), Err::kStaleMessage);
  EXPECT_EQ(r.term(), 4u);
  for (int i = 0; i < c.election_ticks; ++i) r.Tick();
  v.term = 6;
  EXPECT_EQ(r.Step(v), Err::kOk);
  EXPECT_EQ(r.Status().vote, 3u);
}

TEST(CheckQuorum, FollowerInLeaseIgnoresVoteRequests) {
  // A follower that heard the leader within the election timeout ignores a higher-term vote.
  Net net(3);
  net.Elect(1);
  Message v = Msg(MessageType::kVote, 3, 2, net[2].term() + 1);
  v.index = 100;
  v.log_term = 100;
  EXPECT_EQ(net[2].Step(v), Err::kStaleMessage);
  EXPECT_EQ(net[2].term(), net[1].term());
}

// ---------------------------------------------------------------------------------------------
// ReadIndex and leases (dissertation §6.4)

TEST(ReadIndex, LeaderConfirmsWithHeartbeatQuorumBeforeAnswering) {
  // §6.4: record the commit index, confirm leadership with a heartbeat round, then answer.
  Net net(3);
  net.Elect(1);
  ASSERT_EQ(net[1].Propose("x"), Err::kOk);
  net.Drain();
  net.cut = {{2, 1}, {3, 1}};  // no heartbeat answers
  ASSERT_EQ(net[1].ReadIndex("r1"), Err::kOk);
  net.Drain();
  EXPECT_TRUE(net.reads[1].empty()) << "answered without a quorum";
  net.cut.clear();
  net.TickAll(1);
  ASSERT_EQ(net.reads[1].size(), 1u);
  EXPECT_EQ(net.reads[1][0].context, "r1");
  EXPECT_EQ(net.reads[1][0].index, net[1].log().commit());
}

TEST(ReadIndex, FollowerReadIsForwardedToLeader) {
  Net net(3);
  net.Elect(1);
  ASSERT_EQ(net[2].ReadIndex("f1"), Err::kOk);
  net.Drain();
  ASSERT_EQ(net.reads[2].size(), 1u);
  EXPECT_EQ(net.reads[2][0].context, "f1");
  EXPECT_EQ(net.reads[2][0].index, net[1].log().commit());
}

TEST(ReadIndex, NewLeaderWaitsForItsNoOpCommit) {
  // §6.4 step 1: a new leader does not know the commit index until its no-op commits.
  Net net(3);
  net.cut = {{2, 1}, {3, 1}};
  net[1].Campaign();
  // Pre-vote answers are cut: let them through, but hold every AppendEntries answer.
  net.cut.clear();
  net.filter = [](Message& m) { return m.type != MessageType::kAppResp; };
  net.Drain();
  ASSERT_EQ(net[1].role(), Role::kLeader);
  ASSERT_EQ(net[1].ReadIndex("early"), Err::kOk);
  net.TickAll(2);
  EXPECT_TRUE(net.reads[1].empty());
  net.filter = nullptr;
  net.TickAll(2);
  ASSERT_EQ(net.reads[1].size(), 1u);
  EXPECT_GE(net.reads[1][0].index, 2u);
}

TEST(ReadIndex, NoLeaderRefuses) {
  Config c = BaseConfig(1, 3);
  Raft r(c);
  EXPECT_EQ(r.ReadIndex("x"), Err::kNotLeader);
}

TEST(ReadIndex, StaleReadBugAnswersFromLocalStateAtOnce) {
  Net net(3, [](Config& c) { c.bugs.stale_read = true; });
  net.Elect(1);
  net.cut = {{1, 3}};
  for (int i = 0; i < 5; ++i) ASSERT_EQ(net[1].Propose("w"), Err::kOk);
  net.Drain();
  ASSERT_EQ(net[3].ReadIndex("stale"), Err::kOk);
  net.Drain();
  ASSERT_EQ(net.reads[3].size(), 1u);
  EXPECT_LT(net.reads[3][0].index, net[1].log().commit()) << "the bug serves old state";
}

// The heartbeats of the ReadIndex rounds the leader began (net.filter counts them by target).
struct RoundCounter {
  std::map<NodeId, int> to;
  std::function<bool(Message&)> Filter(std::set<NodeId> drop_to = {}) {
    return [this, drop_to](Message& m) {
      if (m.type == MessageType::kHeartbeat && m.from == 1) ++to[m.to];
      return !(m.from == 1 && drop_to.count(m.to));
    };
  }
};

TEST(ReadIndex, RoundGoesToAQuorumThoseThatAnsweredTheLatestRoundFirst) {
  // Three voters: the leader and one follower are a quorum, so a round's heartbeat goes to one
  // follower only — at first the lowest id (no one has answered yet).
  Net net(3);
  net.Elect(1);
  ASSERT_EQ(net[1].Propose("x"), Err::kOk);
  net.Drain();
  RoundCounter c;
  net.filter = c.Filter({2});  // 2 hears nothing from the leader
  ASSERT_EQ(net[1].ReadIndex("a"), Err::kOk);
  net.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{2, 1}}));
  EXPECT_TRUE(net.reads[1].empty()) << "confirmed without an answer";
  // The periodic heartbeat goes to everyone and carries the round: 3 confirms it.
  net.Tick(1);
  net.Drain();
  ASSERT_EQ(net.reads[1].size(), 1u);
  EXPECT_EQ(net.reads[1][0].context, "a");
  // 3 answered the latest round: the next goes to 3 alone, and is confirmed.
  c.to.clear();
  ASSERT_EQ(net[1].ReadIndex("b"), Err::kOk);
  net.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{3, 1}}));
  ASSERT_EQ(net.reads[1].size(), 2u);
  EXPECT_EQ(net.reads[1][1].context, "b");
  EXPECT_EQ(net.reads[1][1].index, net[1].log().commit());
}

TEST(ReadIndex, OfTwoAnsweringTheSameRoundTheFirstGetsTheNext) {
  Net net(3);
  net.Elect(1);
  net.filter = [](Message& m) { return !(m.type == MessageType::kHeartbeatResp && m.from == 2); };
  ASSERT_EQ(net[1].ReadIndex("warm"), Err::kOk);  // round 1, to 2 (lowest id); its answer lost
  net.Drain();
  net.Tick(1);  // the periodic heartbeat carries round 1 to everyone: 3 answers
  net.Drain();
  ASSERT_EQ(net.reads[1].size(), 1u);
  net.filter = nullptr;
  Message late = Msg(MessageType::kHeartbeatResp, 2, 1, net[1].term());
  late.index = 1;  // 2 answers round 1 too, after 3
  net[1].Step(late);
  net.Drain();
  RoundCounter c;
  net.filter = c.Filter();
  ASSERT_EQ(net[1].ReadIndex("r"), Err::kOk);
  net.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{3, 1}}));
  EXPECT_EQ(net.reads[1].size(), 2u);
}

TEST(ReadIndex, FiveVotersSendARoundToTwoAndEveryoneWhenTargetingIsOff) {
  RoundCounter c;
  Net five(5);
  five.Elect(1);
  five.filter = c.Filter();
  ASSERT_EQ(five[1].ReadIndex("r"), Err::kOk);
  five.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{2, 1}, {3, 1}}));
  EXPECT_EQ(five.reads[1].size(), 1u);

  RoundCounter all;
  Net net(3, [](Config& cfg) { cfg.targeted_read_rounds = false; });
  net.Elect(1);
  net.filter = all.Filter();
  ASSERT_EQ(net[1].ReadIndex("r"), Err::kOk);
  net.Drain();
  EXPECT_EQ(all.to, (std::map<NodeId, int>{{2, 1}, {3, 1}}));
  EXPECT_EQ(net.reads[1].size(), 1u);
}

TEST(ReadIndex, RoundUnconfirmedForAWholeTickGoesToEveryone) {
  // Heartbeats every 4 ticks: a round sent to a follower that does not answer is sent to
  // everyone once it has waited a whole tick, not at the next periodic heartbeat.
  Net net(3, [](Config& cfg) { cfg.heartbeat_ticks = 4; });
  net.Elect(1);
  net.TickAll(4);  // one periodic heartbeat answered by both
  RoundCounter c;
  net.filter = c.Filter({2});
  ASSERT_EQ(net[1].ReadIndex("r"), Err::kOk);
  net.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{2, 1}}));
  net.Tick(1);  // the tick it began in ends: not yet
  net.Drain();
  EXPECT_TRUE(net.reads[1].empty());
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{2, 1}}));
  net.Tick(1);
  net.Drain();
  EXPECT_EQ(c.to, (std::map<NodeId, int>{{2, 2}, {3, 1}}));
  ASSERT_EQ(net.reads[1].size(), 1u);
  EXPECT_EQ(net.reads[1][0].context, "r");
}

TEST(Replication, HeartbeatAnswersSendAtMostOneEmptyAppendATick) {
  // 2 has not acknowledged the leader's entries (its answers are held), so every heartbeat
  // answer finds it behind; with everything already sent, the leader probes with an empty
  // AppendEntries once a tick, not at every answer (each read round is a heartbeat).
  Net net(3);
  net.Elect(1);
  net.filter = [](Message& m) { return !(m.type == MessageType::kAppResp && m.from == 2); };
  ASSERT_EQ(net[1].Propose("x"), Err::kOk);
  net.Drain();
  auto empty_apps_to_2 = [&] {
    int n = 0;
    for (const Message& m : net.delivered)
      n += m.type == MessageType::kApp && m.to == 2 && m.entries.empty();
    return n;
  };
  const int before = empty_apps_to_2();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(net[1].ReadIndex("r" + std::to_string(i)), Err::kOk);
    net.Drain();
  }
  EXPECT_EQ(net.reads[1].size(), 5u);
  EXPECT_LE(empty_apps_to_2() - before, 1);
  const int in_tick = empty_apps_to_2();
  net.Tick(1);
  net.Drain();
  EXPECT_EQ(empty_apps_to_2() - in_tick, 1) << "one probe in the next tick";
}

TEST(Replication, LostAppendIsResentAfterAHeartbeatAnswer) {
  // The one AppendEntries carrying an entry to 2 is lost; 3 is down, so nothing commits and
  // nothing else is sent. The answer to the next heartbeat makes the leader probe, 2 rejects,
  // and the entry is resent.
  Net net(3);
  net.Elect(1);
  net.TickAll(1);
  net.down = {3};
  bool dropped = false;
  net.filter = [&](Message& m) {
    if (!dropped && m.type == MessageType::kApp && m.to == 2 && !m.entries.empty()) {
      dropped = true;
      return false;
    }
    return true;
  };
  ASSERT_EQ(net[1].Propose("lost"), Err::kOk);
  net.Drain();
  ASSERT_TRUE(dropped);
  EXPECT_LT(net[2].log().LastIndex(), net[1].log().LastIndex());
  const uint64_t commit = net[1].log().commit();
  net.TickAll(2);
  EXPECT_EQ(net[2].log().LastIndex(), net[1].log().LastIndex());
  EXPECT_GT(net[1].log().commit(), commit) << "2's copy commits it";
  EXPECT_EQ(net[2].log().commit(), net[1].log().commit());
}

TEST(LeaseRead, ServedLocallyWithinLeaseAndRefusedAfterIt) {
  // §6.4.1: within election_ticks of a quorum's answer the leader answers without a round trip;
  // after the lease it needs one.
  Net net(3, [](Config& c) { c.lease_reads = true; });
  net.Elect(1);
  net.TickAll(2);
  net.cut = {{2, 1}, {3, 1}};
  ASSERT_EQ(net[1].ReadIndex("in-lease"), Err::kOk);
  net.Drain();
  EXPECT_EQ(net.reads[1].size(), 1u);
  for (int i = 0; i < net.configs[1].election_ticks; ++i) net[1].Tick();
  net.Drain();
  net.reads[1].clear();
  if (net[1].role() == Role::kLeader) {
    ASSERT_EQ(net[1].ReadIndex("expired"), Err::kOk);
    net.Drain();
    EXPECT_TRUE(net.reads[1].empty()) << "lease should have expired";
  }
}

TEST(LeaseRead, BugLeaseOutlivesElectionTimeout) {
  Net net(3, [](Config& c) {
    c.bugs.lease_read = true;
    c.check_quorum = false;
    c.pre_vote = false;
  });
  net.Elect(1);
  net.TickAll(2);
  net.cut = {{2, 1}, {3, 1}, {1, 2}, {1, 3}};
  for (int i = 0; i < 2 * net.configs[1].election_ticks; ++i) net[1].Tick();
  net.Elect(2);  // another leader exists now
  ASSERT_EQ(net[2].role(), Role::kLeader);
  ASSERT_EQ(net[1].ReadIndex("stale"), Err::kOk);
  net.Drain();
  EXPECT_EQ(net.reads[1].size(), 1u) << "the bug lease should still be trusted";
}

// ---------------------------------------------------------------------------------------------
// Snapshots (§7)

TEST(Snapshot, CompactionAndChunkedInstallOnLaggingFollower) {
  Net net(3, [](Config& c) { c.snapshot_chunk_bytes = 7; });
  net.Elect(1);
  net.down.insert(3);
  for (int i = 0; i < 30; ++i) ASSERT_EQ(net[1].Propose("v" + std::to_string(i)), Err::kOk);
  net.Drain();
  const uint64_t applied = net[1].Status().applied;
  ASSERT_EQ(net[1].CreateSnapshot(applied, "STATE-AT-" + std::to_string(applied) + "-0123456789"),
            Err::kOk);
  EXPECT_EQ(net[1].log().FirstIndex(), applied + 1);
  EXPECT_EQ(net[1].snapshot().meta.membership, Voters(3));
  EXPECT_EQ(net[1].CreateSnapshot(applied, "again"), Err::kCompacted);
  EXPECT_EQ(net[1].CreateSnapshot(applied + 100, "future"), Err::kUnavailable);
  net.down.clear();
  net.TickAll(10);
  ASSERT_EQ(net.snapshots[3].size(), 1u);
  EXPECT_EQ(net.snapshots[3][0].data, net[1].snapshot().data);
  int chunks = 0;
  for (const Message& m : net.delivered) chunks += m.type == MessageType::kSnap && m.to == 3;
  EXPECT_GE(chunks, 3);
  EXPECT_EQ(net[3].log().commit(), net[1].log().commit());
  EXPECT_EQ(net[3].log().snapshot_index(), applied);
}

TEST(Snapshot, RestartFromDurableStateReplaysCommittedEntries) {
  Net net(3);
  net.Elect(1);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(net[1].Propose("v"), Err::kOk);
  net.Drain();
  net.TickAll(2);
  Raft& r = net[2];
  ASSERT_EQ(r.CreateSnapshot(3, "S3"), Err::kOk);
  Config c = net.configs[2];
  c.restore.snapshot = r.snapshot();
  c.restore.hard_state = net.hard[2];
  for (uint64_t i = r.log().FirstIndex(); i <= r.log().LastIndex(); ++i) {
    c.restore.entries.push_back(r.log().At(i));
  }
  Raft again(c);
  EXPECT_EQ(again.term(), r.term());
  EXPECT_EQ(again.log().commit(), r.log().commit());
  EXPECT_EQ(again.membership(), Voters(3));
  Ready rd = again.GetReady();
  ASSERT_FALSE(rd.committed_entries.empty());
  EXPECT_EQ(rd.committed_entries.front().index, 4u);
  EXPECT_EQ(rd.committed_entries.back().index, r.log().commit());
  EXPECT_FALSE(rd.hard_state) << "nothing changed";
}

// §7: a snapshot carries "the latest configuration as of lastIncludedIndex", because the log
// entries that held it are discarded. Planted bug snapshot-drops-config records the initial
// configuration instead: a follower that installs it, or a node restarted on it, goes back to
// counting a removed voter.
TEST(Snapshot, CarriesTheConfigurationAtItsIndexAndTheDropsConfigBugForgetsIt) {
  for (bool bug : {false, true}) {
    SCOPED_TRACE(bug ? "bug snapshot-drops-config" : "correct");
    Net net(4, [bug](Config& c) { c.bugs.snapshot_drops_config = bug; });
    net.Elect(1);
    ASSERT_EQ(net[1].ProposeConfChange({ConfChange::Type::kRemove, 4}), Err::kOk);
    net.Drain();
    net.TickAll(2);
    ASSERT_EQ(net[3].membership().voters, (std::vector<NodeId>{1, 2, 3}));
    net.down = {3, 4};
    for (int i = 0; i < 10; ++i) ASSERT_EQ(net[1].Propose("v" + std::to_string(i)), Err::kOk);
    net.Drain();
    const uint64_t applied = net[1].Status().applied;
    ASSERT_EQ(net[1].CreateSnapshot(applied, "S"), Err::kOk);
    const std::vector<NodeId> want =
        bug ? std::vector<NodeId>{1, 2, 3, 4} : std::vector<NodeId>{1, 2, 3};
    EXPECT_EQ(net[1].snapshot().meta.membership.voters, want);
    // Node 3, behind the leader's first index, installs the snapshot.
    net.down = {4};
    net.TickAll(10);
    ASSERT_EQ(net.snapshots[3].size(), 1u);
    EXPECT_EQ(net[3].membership().voters, want);
    // A node restarted on the snapshot (and nothing after it) alike.
    Config c = net.configs[2];
    c.restore.snapshot = net[1].snapshot();
    c.restore.hard_state = net.hard[2];
    Raft again(c);
    EXPECT_EQ(again.membership().voters, want);
  }
}

// ---------------------------------------------------------------------------------------------
// Membership changes (dissertation §4) and leadership transfer (§3.10)

TEST(Membership, LearnerCatchesUpThenIsPromotedAndCounts) {
  Net net(3);
  net.nodes[4] = std::make_unique<Raft>([] {
    Config c = BaseConfig(4, 3);
    c.initial_membership = {};  // joins: learns the configuration from the log
    return c;
  }());
  net.Elect(1);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(net[1].Propose("v"), Err::kOk);
  net.Drain();
  ASSERT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddLearner, 4}), Err::kOk);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddVoter, 4}), Err::kPendingConfChange);
  EXPECT_FALSE(net[1].CaughtUp(4));
  net.Drain();
  net.TickAll(3);
  EXPECT_TRUE(net[1].membership().IsLearner(4));
  EXPECT_TRUE(net[4].membership().IsLearner(4));
  EXPECT_TRUE(net[1].CaughtUp(4));
  EXPECT_EQ(net[4].log().LastIndex(), net[1].log().LastIndex());
  // A learner never campaigns.
  net[4].Campaign();
  EXPECT_EQ(net[4].role(), Role::kFollower);
  ASSERT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddVoter, 4}), Err::kOk);
  net.Drain();
  net.TickAll(2);
  EXPECT_TRUE(net[4].membership().IsVoter(4));
  EXPECT_EQ(net[1].membership().voters.size(), 4u);
  // With 4 voters, 3 are needed: two down nodes stop commitment.
  net.down = {2, 3};
  uint64_t idx;
  ASSERT_EQ(net[1].Propose("needs-3", &idx), Err::kOk);
  net.Drain();
  EXPECT_LT(net[1].log().commit(), idx);
  net.down = {3};
  net.TickAll(2);
  EXPECT_GE(net[1].log().commit(), idx);
}

TEST(Membership, RemovedLeaderStepsDownAndOthersContinue) {
  Net net(3);
  net.Elect(1);
  ASSERT_EQ(net[1].ProposeConfChange({ConfChange::Type::kRemove, 1}), Err::kOk);
  net.Drain();
  EXPECT_NE(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].membership().voters, (std::vector<NodeId>{2, 3}));
  net.down = {1};
  for (int i = 0; i < 50 && net[2].role() != Role::kLeader && net[3].role() != Role::kLeader; ++i) {
    net.TickAll(1);
  }
  NodeId l = net[2].role() == Role::kLeader ? 2 : 3;
  ASSERT_EQ(net[l].role(), Role::kLeader);
  // The new leader commits the removal with its no-op (the old one stepped down first).
  net.TickAll(2);
  EXPECT_EQ(net[2].membership().voters, (std::vector<NodeId>{2, 3}));
  EXPECT_EQ(net[3].membership().voters, (std::vector<NodeId>{2, 3}));
  net[1].Campaign();
  EXPECT_EQ(net[1].role(), Role::kFollower) << "a removed node never campaigns";
  uint64_t idx;
  ASSERT_EQ(net[l].Propose("after", &idx), Err::kOk);
  net.Drain();
  EXPECT_GE(net[l].log().commit(), idx);
}

TEST(Membership, NewLeaderMustCommitItsTermBeforeAChange) {
  Net net(3);
  net.filter = [](Message& m) { return m.type != MessageType::kAppResp; };
  net.Elect(1);
  ASSERT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddLearner, 9}), Err::kPendingConfChange);
  net.filter = nullptr;
  net.TickAll(2);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddLearner, 9}), Err::kOk);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kRemove, 42}), Err::kPendingConfChange);
}

TEST(Membership, InvalidChangesAreRefused) {
  Net net(3);
  net.Elect(1);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddVoter, 2}), Err::kInvalid);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kRemove, 7}), Err::kInvalid);
  EXPECT_EQ(net[1].ProposeConfChange({ConfChange::Type::kAddVoter, 0}), Err::kInvalid);
  EXPECT_EQ(net[2].ProposeConfChange({ConfChange::Type::kAddVoter, 5}), Err::kNotLeader);
}

TEST(Transfer, TimeoutNowHandsLeadershipToCaughtUpTarget) {
  Net net(3);
  net.Elect(1);
  net.down = {3};
  for (int i = 0; i < 5; ++i) ASSERT_EQ(net[1].Propose("v"), Err::kOk);
  net.Drain();
  net.down.clear();
  ASSERT_EQ(net[1].TransferLeadership(3), Err::kOk);
  EXPECT_EQ(net[1].Propose("paused"), Err::kTransferring);
  net.Drain();
  EXPECT_EQ(net[3].role(), Role::kLeader);
  EXPECT_EQ(net[1].role(), Role::kFollower);
  EXPECT_EQ(net[1].leader(), 3u);
}

TEST(Transfer, FollowerForwardsTransferRequest) {
  Net net(3);
  net.Elect(1);
  ASSERT_EQ(net[2].TransferLeadership(2), Err::kOk);
  net.Drain();
  EXPECT_EQ(net[2].role(), Role::kLeader);
}

TEST(Transfer, AbortedWhenTargetDoesNotRespond) {
  Net net(3);
  net.Elect(1);
  net.down = {3};
  ASSERT_EQ(net[1].TransferLeadership(3), Err::kOk);
  net.TickAll(net.configs[1].election_ticks + 1);
  EXPECT_EQ(net[1].role(), Role::kLeader);
  EXPECT_EQ(net[1].Propose("resumed"), Err::kOk);
}

TEST(Determinism, SameInputsSameOutputsByteForByte) {
  auto run = [] {
    Net net(5);
    std::string trace;
    for (int i = 0; i < 300; ++i) {
      net.TickAll(1);
      NodeId l = 0;
      for (auto& [id, r] : net.nodes) {
        if (r->role() == Role::kLeader) l = id;
      }
      if (l && i % 3 == 0) net[l].Propose("p" + std::to_string(i));
      if (i == 100) net.down = {l};
      if (i == 200) net.down.clear();
    }
    for (const Message& m : net.delivered) trace += EncodeMessage(m);
    return trace;
  };
  std::string a = run();
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, run());
}

}  // namespace
}  // namespace splitbrain::raft

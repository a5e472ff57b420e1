#include "raft/sim/cluster.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>

#include "raft/codec.h"

namespace splitbrain::raft::sim {

namespace {

constexpr uint64_t kInitialHash = 0xcbf29ce484222325ULL;
constexpr size_t kPadding = 40;

// The simulated state machine's snapshot: applied index and state hash, padded so that
// InstallSnapshot takes several chunks.
std::string EncodeState(uint64_t applied, uint64_t hash) {
  // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict) on "S" + std::string.
  std::string s = "S";
  s += std::to_string(applied);
  s += ':';
  s += std::to_string(hash);
  s += ':';
  s.resize(s.size() + kPadding, '.');
  return s;
}
// The application's image follows the padding (empty without an application).
bool DecodeState(const std::string& s, uint64_t* applied, uint64_t* hash,
                 std::string* image = nullptr) {
  if (s.empty() || s[0] != 'S') return false;
  size_t colon = s.find(':');
  if (colon == std::string::npos) return false;
  size_t second = s.find(':', colon + 1);
  if (second == std::string::npos || second + 1 + kPadding > s.size()) return false;
  *applied = std::strtoull(s.c_str() + 1, nullptr, 10);
  *hash = std::strtoull(s.c_str() + colon + 1, nullptr, 10);
  if (image) *image = s.substr(second + 1 + kPadding);
  return true;
}

}  // namespace

Cluster::Cluster(Options options) : opt_(options), rng_(options.seed) {
  const int total = opt_.voters + opt_.spares;
  nodes_.resize(static_cast<size_t>(total));
  for (int i = 0; i < total; ++i) {
    SimNode& n = nodes_[static_cast<size_t>(i)];
    n.id = static_cast<NodeId>(i + 1);
    n.tick_phase = static_cast<int>(rng_.Uniform(static_cast<uint64_t>(opt_.tick_units)));
    Boot(n, true);
  }
  next_fault_ = opt_.fault_every > 0 ? static_cast<uint64_t>(opt_.fault_every) : 0;
}

Cluster::~Cluster() = default;

Config Cluster::MakeConfig(NodeId id, bool first_start) {
  Config c;
  c.id = id;
  if (id <= static_cast<NodeId>(opt_.voters) && !at(id).joining) {
    for (int v = 1; v <= opt_.voters; ++v) c.initial_membership.voters.push_back(v);
  }
  if (!first_start) {
    const Durable& d = at(id).durable;
    c.restore.hard_state = d.hs;
    c.restore.snapshot = d.snapshot;
    c.restore.entries = d.entries;
  }
  c.election_ticks = opt_.election_ticks;
  c.heartbeat_ticks = opt_.heartbeat_ticks;
  c.max_entries_per_msg = opt_.max_entries_per_msg;
  c.max_inflight_msgs = opt_.max_inflight;
  c.snapshot_chunk_bytes = opt_.snapshot_chunk_bytes;
  c.pre_vote = opt_.pre_vote;
  c.check_quorum = opt_.check_quorum;
  c.lease_reads = opt_.lease_reads;
  c.bugs = opt_.bugs;
  auto rng = std::make_shared<Rng>(rng_.Fork());
  c.rand = [rng] { return rng->Next(); };
  return c;
}

void Cluster::Boot(SimNode& n, bool first_start) {
  n.raft = std::make_unique<Raft>(MakeConfig(n.id, first_start));
  n.paused = false;
  n.reads.clear();
  n.applied = 0;
  n.state_hash = kInitialHash;
  if (opt_.app) opt_.app->Started(n.id);
  if (!n.durable.snapshot.empty()) {
    uint64_t applied, hash;
    std::string image;
    if (!DecodeState(n.durable.snapshot.data, &applied, &hash, &image)) std::abort();
    n.applied = applied;
    n.state_hash = hash;
    inv_.OnRestore(n.id, applied, hash);
    if (opt_.app) opt_.app->Restored(n.id, applied, image);
  }
  inv_.OnCommit(*n.raft);
}

Raft* Cluster::node(NodeId id) { return at(id).raft.get(); }
bool Cluster::up(NodeId id) const { return at(id).raft != nullptr; }

void Cluster::Crash(NodeId id) {
  SimNode& n = at(id);
  if (!n.raft) return;
  n.raft.reset();  // everything not in n.durable is lost
  n.paused = false;
  n.reads.clear();
  n.staged.clear();  // written, not yet fsynced: kept (a kill keeps the page cache), never sent
  n.disk_failed = false;
  if (opt_.app) opt_.app->Crashed(id);
}

uint64_t Cluster::LoseUnsynced(NodeId id, bool* hard_state_lost) {
  SimNode& n = at(id);
  Crash(id);
  if (hard_state_lost) *hard_state_lost = false;
  if (opt_.sync) return 0;
  uint64_t lost = 0;
  const uint64_t keep = n.synced.snapshot.meta.index + n.synced.entries.size();
  const uint64_t had = n.durable.snapshot.meta.index + n.durable.entries.size();
  if (had > keep) lost = had - keep;
  if (hard_state_lost) *hard_state_lost = !(n.durable.hs == n.synced.hs);
  n.durable = n.synced;
  return lost;
}

void Cluster::Wipe(NodeId id) {
  SimNode& n = at(id);
  Crash(id);
  n.durable = Durable();
  n.synced = Durable();
  n.refuses_start = false;  // a new disk: nothing left for its checksums to refuse
  n.joining = true;
  inv_.OnWiped(id);
}

void Cluster::SetTickRate(NodeId id, double rate) {
  SimNode& n = at(id);
  const auto period = static_cast<uint64_t>(opt_.tick_units);
  // Continue from where its ticks stand now, so a rate change neither adds nor drops a tick.
  n.tick_credit = static_cast<double>((now_ + static_cast<uint64_t>(n.tick_phase)) % period);
  n.tick_rate = rate > 0 ? rate : 1;
}

void Cluster::SetCpuShare(NodeId id, double share) {
  SimNode& n = at(id);
  n.cpu_share = share > 0 && share < 1 ? share : 1;
  if (n.cpu_share >= 1) n.off_duty = false;
}

void Cluster::SetLinkDelay(NodeId from, NodeId to, uint64_t mean, uint64_t jitter) {
  if (mean == 0 && jitter == 0) {
    link_delay_.erase({from, to});
  } else {
    link_delay_[{from, to}] = {mean, jitter};
  }
}

void Cluster::SetLoss(NodeId from, NodeId to, double probability) {
  if (probability <= 0) {
    loss_.erase({from, to});
  } else {
    loss_[{from, to}] = probability;
  }
}

Err Cluster::SnapshotNow(NodeId id, uint64_t* index) {
  SimNode& n = at(id);
  if (!n.raft || n.paused) return Err::kUnavailable;
  Err err = n.applied > n.raft->log().snapshot_index() ? TakeSnapshot(n) : Err::kOk;
  if (index) *index = n.raft->log().snapshot_index();
  return err;
}

Err Cluster::TakeSnapshot(SimNode& n) {
  Raft& r = *n.raft;
  if ((n.disk.full || n.disk.fail_write || n.disk.fail_fsync) && DiskFails(n, true, true)) {
    n.disk_failed = true;  // node.cc: "cannot persist a snapshot", _Exit; at the next unit
    return Err::kUnavailable;
  }
  std::string data = EncodeState(n.applied, n.state_hash);
  if (opt_.app) data += opt_.app->Image(n.id);
  Err err = r.CreateSnapshot(n.applied, std::move(data));
  if (err == Err::kOk) {
    // The application persists the snapshot and drops the stored entries it covers.
    n.durable.snapshot = r.snapshot();
    auto& d = n.durable.entries;
    auto keep = std::find_if(d.begin(), d.end(), [&](const Entry& e) {
      return e.index > n.durable.snapshot.meta.index;
    });
    d.erase(d.begin(), keep);
    if (!opt_.sync) n.synced = n.durable;  // the snapshot and the rewritten log are fsynced
    inv_.OnSnapshot(n.id, n.durable.snapshot.meta);
  }
  return err;
}

void Cluster::Restart(NodeId id) {
  SimNode& n = at(id);
  if (n.raft || n.refuses_start) return;
  // Storage::Open reads the log and fsyncs its directories: a node whose disk fails those
  // cannot start.
  if (DiskFails(n, /*write=*/false, /*fsync=*/true)) return;
  Boot(n, false);
}

bool Cluster::DiskFails(SimNode& n, bool write, bool fsync) {
  const DiskFaults& d = n.disk;
  if (write && d.full) return true;
  const bool read = !write;  // the callers ask for a write, or for a start (read and fsync)
  const bool hit = (read && d.fail_read) || (write && d.fail_write) || (fsync && d.fail_fsync);
  return hit && (d.share >= 1 || rng_.Chance(d.share));
}

DurableState Cluster::durable(NodeId id) const {
  const Durable& d = at(id).durable;
  return {d.hs, d.snapshot, d.entries};
}
DurableState Cluster::synced(NodeId id) const {
  const Durable& d = opt_.sync ? at(id).durable : at(id).synced;
  return {d.hs, d.snapshot, d.entries};
}
void Cluster::SetDurable(NodeId id, const DurableState& state) {
  SimNode& n = at(id);
  n.durable = Durable{state.hard_state, state.snapshot, state.entries};
  n.synced = n.durable;
}

void Cluster::Pause(NodeId id) {
  if (up(id)) at(id).paused = true;
}
void Cluster::Resume(NodeId id) { at(id).paused = false; }

uint64_t Cluster::max_term() const {
  uint64_t t = 0;
  for (const SimNode& n : nodes_) t = std::max(t, n.durable.hs.term);
  return t;
}

NodeId Cluster::Leader() const {
  NodeId best = kNoNode;
  uint64_t term = 0;
  for (const SimNode& n : nodes_) {
    if (n.raft && !n.paused && n.raft->role() == Role::kLeader && n.raft->term() >= term) {
      best = n.id;
      term = n.raft->term();
    }
  }
  return best;
}

bool Cluster::Propose(const std::string& data) {
  NodeId l = Leader();
  if (l == kNoNode) return false;
  return at(l).raft->Propose(data) == Err::kOk;
}

void Cluster::ReadAt(NodeId id) {
  SimNode& n = at(id);
  if (!n.raft || n.paused) return;
  std::string ctx = "r";
  ctx += std::to_string(++reads_);
  uint64_t required = inv_.max_commit();
  if (n.raft->ReadIndex(ctx) == Err::kOk) n.reads[ctx] = required;
}

void Cluster::SendAll(std::vector<Message>& msgs) {
  for (Message& m : msgs) {
    // With wire_codec every message crosses the wire codec, as in the real node: the receiver
    // gets what was decoded (the codec's round trip is raft/codec_test's; comparing here cost a
    // tenth of a run).
    if (opt_.wire_codec) {
      Message wire;
      if (!DecodeMessage(EncodeMessage(m), &wire)) std::abort();
      m = std::move(wire);
    }
    if (faults_on_ && rng_.Chance(opt_.drop)) continue;
    uint64_t extra = 0;
    bool dropped = false;
    for (const MessageRule& rule : message_rules_) {
      if (rule.type != m.type || (rule.from != kNoNode && rule.from != m.from) ||
          (rule.to != kNoNode && rule.to != m.to)) {
        continue;
      }
      if (rule.mode == MessageRule::kDrop) dropped = true;
      if (rule.mode == MessageRule::kDelay) extra = rule.hold;
      if (rule.mode == MessageRule::kReorder) extra = rng_.Uniform(rule.hold + 1);
      break;
    }
    if (dropped) continue;
    if (!link_delay_.empty()) {
      auto it = link_delay_.find({m.from, m.to});
      if (it != link_delay_.end()) {
        const auto j = static_cast<int64_t>(it->second.jitter);
        const int64_t d =
            static_cast<int64_t>(it->second.mean) + (j > 0 ? rng_.Range(-j, j) : int64_t{0});
        extra += static_cast<uint64_t>(std::max<int64_t>(d, 0));
      }
    }
    int copies = faults_on_ && rng_.Chance(opt_.duplicate) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      uint64_t delay = static_cast<uint64_t>(rng_.Range(opt_.min_delay, opt_.max_delay)) + extra;
      uint32_t slot;
      if (free_wire_.empty()) {
        slot = static_cast<uint32_t>(wire_.size());
        wire_.emplace_back();
      } else {
        slot = free_wire_.back();
        free_wire_.pop_back();
      }
      wire_[slot] = c + 1 < copies ? m : std::move(m);
      net_.push_back({now_ + delay, seq_++, slot});
      std::push_heap(net_.begin(), net_.end());
    }
  }
}

void Cluster::ProcessReady(SimNode& n) {
  for (int guard = 0; n.raft && n.raft->HasReady() && guard < 4; ++guard) {
    Raft& r = *n.raft;
    Ready rd = r.GetReady();
    // 0. The disk: a write, and an fsync when the Ready holds entries, a snapshot or a new term
    // or vote (node/storage.cc Encode: a commit alone is not fsynced). A failing one stops the
    // node before anything of this Ready is durable or sent (node.cc PersistLoop).
    const bool writes = rd.snapshot || !rd.entries.empty() || rd.hard_state;
    const bool must_sync =
        rd.snapshot || !rd.entries.empty() ||
        (rd.hard_state && (rd.hard_state->term != n.durable.hs.term ||
                           rd.hard_state->vote != n.durable.hs.vote));
    if (writes && DiskFails(n, /*write=*/true, must_sync)) {
      Crash(n.id);
      return;
    }
    // 1. Persist: snapshot, entries, hard state.
    if (rd.snapshot) {
      n.durable.snapshot = *rd.snapshot;
      n.durable.entries.clear();
      if (!opt_.sync) n.synced = n.durable;  // node/storage.cc SaveSnapshot fsyncs
      inv_.OnSnapshot(n.id, rd.snapshot->meta);
    }
    if (!rd.entries.empty()) {
      const uint64_t first = rd.entries.front().index;
      inv_.OnPersistEntries(n.id, r.log().TermOr0(first - 1), rd.entries);
      auto& d = n.durable.entries;
      while (!d.empty() && d.back().index >= first) d.pop_back();
      if (!d.empty() && d.back().index + 1 != first) std::abort();
      d.insert(d.end(), rd.entries.begin(), rd.entries.end());
    }
    if (rd.hard_state) {
      inv_.OnHardState(n.id, *rd.hard_state);
      n.durable.hs = *rd.hard_state;
    }
    if (rd.soft_state && rd.soft_state->role == Role::kLeader) inv_.OnBecameLeader(r);
    // The entries are in the log (ack-before-commit answers here). With a slow disk the model
    // holds them durable at once and delays what depends on them (messages, applying); the
    // early answer then comes before the write's delay, as a bug's answer may.
    if (opt_.app && !rd.entries.empty()) opt_.app->Persisted(n.id, rd.entries);
    const uint64_t disk_time =
        writes ? n.disk.write_delay + (must_sync ? n.disk.fsync_delay : 0) : 0;
    if (disk_time > 0 || !n.staged.empty()) {
      // A slow disk: heartbeats and their answers go now (they claim nothing durable); the rest
      // waits for this write and every earlier one.
      auto held =
          std::stable_partition(rd.messages.begin(), rd.messages.end(), [](const Message& m) {
            return m.type == MessageType::kHeartbeat || m.type == MessageType::kHeartbeatResp;
          });
      std::vector<Message> now_msgs(std::make_move_iterator(rd.messages.begin()),
                                    std::make_move_iterator(held));
      SimNode::Staged st;
      st.at = std::max(now_, n.staged.empty() ? now_ : n.staged.back().at) + disk_time;
      st.messages.assign(std::make_move_iterator(held), std::make_move_iterator(rd.messages.end()));
      st.snapshot = std::move(rd.snapshot);
      st.committed = std::move(rd.committed_entries);
      st.read_states = std::move(rd.read_states);
      n.staged.push_back(std::move(st));
      SendAll(now_msgs);
    } else {
      FinishReady(n, rd.messages, rd.snapshot, rd.committed_entries, rd.read_states);
    }
    r.Advance();
    inv_.OnCommit(r);
  }
}

void Cluster::FinishReady(SimNode& n, std::vector<Message>& messages,
                          const std::optional<Snapshot>& snap, const std::vector<Entry>& committed,
                          const std::vector<ReadState>& read_states) {
  // 2. Send.
  SendAll(messages);
  // 3. Apply.
  if (snap) {
    uint64_t applied, hash;
    std::string image;
    if (!DecodeState(snap->data, &applied, &hash, &image)) std::abort();
    if (applied != snap->meta.index) std::abort();
    n.applied = applied;
    n.state_hash = hash;
    inv_.OnRestore(n.id, applied, hash);
    if (opt_.app) {
      opt_.app->Installed(n.id, applied, image);
      inv_.OnInstalledImage(n.id, applied, Fnv1a64(image), Fnv1a64(opt_.app->Image(n.id)));
    }
    ++snapshots_installed_;
  }
  for (const Entry& e : committed) {
    if (e.index <= n.applied) continue;
    if (e.index != n.applied + 1) std::abort();  // raft skipped an entry
    n.state_hash = Fnv1a64(e.data, n.state_hash);
    n.applied = e.index;
    inv_.OnApply(n.id, e, n.state_hash);
    if (opt_.app) opt_.app->Applied(n.id, e);
    if (e.type == EntryType::kConfig) inv_.OnApplyConfig(e);
    if (e.type == EntryType::kConfig && e.index > max_conf_index_ && e.index > 1) {
      max_conf_index_ = e.index;
      ++conf_changes_;
    }
  }
  for (const ReadState& rs : read_states) {
    auto it = n.reads.find(rs.context);
    if (it == n.reads.end()) {
      if (opt_.app) opt_.app->ReadReady(n.id, rs);
      continue;  // else: asked before a restart
    }
    inv_.OnRead(n.id, rs.index, it->second, rs.context);
    ++reads_served_;
    n.reads.erase(it);
  }
}

void Cluster::Deliver(const Message& m) {
  if (m.to == kNoNode || m.to > nodes_.size()) return;
  SimNode& n = at(m.to);
  if (!n.raft) return;
  if (faults_on_ && blocked_.count({m.from, m.to})) return;
  if (!loss_.empty()) {
    auto it = loss_.find({m.from, m.to});
    if (it != loss_.end() && rng_.Chance(it->second)) return;
  }
  n.raft->Step(m);
}

void Cluster::Unit() {
  ++now_;
  for (SimNode& n : nodes_) {
    if (n.cpu_share < 1) {
      n.off_duty = static_cast<double>(now_ % kDutyUnits) >= n.cpu_share * kDutyUnits;
    }
    if (n.disk_failed) Crash(n.id);
    // A slow disk's writes that are done: their Readys finish, in order.
    size_t done = 0;
    for (; done < n.staged.size() && n.staged[done].at <= now_ && n.raft; ++done) {
      SimNode::Staged& st = n.staged[done];
      FinishReady(n, st.messages, st.snapshot, st.committed, st.read_states);
    }
    if (done > 0 && n.raft) n.staged.erase(n.staged.begin(), n.staged.begin() + done);
  }
  // Messages due now.
  while (!net_.empty() && net_.front().at <= now_) {
    std::pop_heap(net_.begin(), net_.end());
    InFlight f = net_.back();
    net_.pop_back();
    const NodeId to = wire_[f.slot].to;
    if (to >= 1 && to <= nodes_.size() && halted(to)) {
      // Held in the socket buffer until the process runs again.
      f.at = now_ + static_cast<uint64_t>(opt_.tick_units);
      net_.push_back(f);
      std::push_heap(net_.begin(), net_.end());
      continue;
    }
    // Out of its slot first: delivering sends messages, which may grow wire_.
    Message m = std::move(wire_[f.slot]);
    free_wire_.push_back(f.slot);
    Deliver(m);
  }
  for (SimNode& n : nodes_) {
    if (!n.raft || n.paused || n.off_duty) continue;
    if (n.tick_rate == 1) {
      if ((now_ + static_cast<uint64_t>(n.tick_phase)) % static_cast<uint64_t>(opt_.tick_units) ==
          0) {
        n.raft->Tick();
      }
      continue;
    }
    // A skewed clock: its own time runs at tick_rate, a tick every tick_units of it.
    n.tick_credit += n.tick_rate;
    for (; n.tick_credit >= opt_.tick_units; n.tick_credit -= opt_.tick_units) n.raft->Tick();
  }
  ClientOps();
  if (faults_on_) Nemesis();
  for (SimNode& n : nodes_) ProcessReady(n);
}

void Cluster::ClientOps() {
  if (load_on_ && rng_.Chance(opt_.propose_rate)) {
    std::string data = "p";
    data += std::to_string(++proposals_);
    Propose(data);
  }
  if (rng_.Chance(opt_.read_rate)) {
    ReadAt(static_cast<NodeId>(rng_.Uniform(nodes_.size()) + 1));
  }
  for (SimNode& n : nodes_) {
    if (!n.raft || n.paused || opt_.snapshot_rate <= 0 || !rng_.Chance(opt_.snapshot_rate))
      continue;
    Raft& r = *n.raft;
    if (n.applied <= r.log().snapshot_index()) continue;
    TakeSnapshot(n);
  }
}

void Cluster::Nemesis() {
  // Scheduled recoveries.
  for (auto it = restart_at_.begin(); it != restart_at_.end();) {
    if (it->second <= now_) {
      Restart(it->first);
      it = restart_at_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = resume_at_.begin(); it != resume_at_.end();) {
    if (it->second <= now_) {
      Resume(it->first);
      if (rng_.Chance(0.5)) ReadAt(it->first);  // a request that waited in its socket
      it = resume_at_.erase(it);
    } else {
      ++it;
    }
  }
  if (heal_at_ != 0 && heal_at_ <= now_) {
    HealLinks();
    heal_at_ = 0;
  }
  if (opt_.fault_every <= 0 || now_ < next_fault_) return;
  next_fault_ = now_ + 1 + rng_.Uniform(2 * static_cast<uint64_t>(opt_.fault_every));
  const uint64_t total = nodes_.size();
  auto random_node = [&] { return static_cast<NodeId>(rng_.Uniform(total) + 1); };
  auto victim = [&] {
    NodeId l = Leader();
    return l != kNoNode && rng_.Chance(opt_.target_leader) ? l : random_node();
  };
  switch (rng_.Uniform(6)) {
    case 0:
      if (opt_.crashes) {
        NodeId id = victim();
        if (up(id)) {
          Crash(id);
          restart_at_[id] = now_ + 20 + rng_.Uniform(400);
        }
      }
      break;
    case 1:
    case 2:
      if (opt_.partitions) {
        blocked_.clear();
        std::vector<bool> side(total + 1);
        for (uint64_t i = 1; i <= total; ++i) side[i] = rng_.Chance(0.5);
        // clang-format off
        // Shapes: two sides; one node isolated; one-way from side A to side B; a random grudge;
        // one node deaf (hears nobody); one node mute (nobody hears it); a bridge (the sides
        // cannot talk, the lone node talks to both).
        const uint64_t shape = rng_.Uniform(7);
        NodeId lone = victim();
        for (NodeId a = 1; a <= total; ++a) {
          for (NodeId b = 1; b <= total; ++b) {
            if (a == b) continue;
            bool cut = false;
            switch (shape) {
              case 0: cut = side[a] != side[b]; break;
              case 1: cut = a == lone || b == lone; break;
              case 2: cut = side[a] && !side[b]; break;
              case 3: cut = rng_.Chance(0.3); break;
              case 4: cut = b == lone; break;
              case 5: cut = a == lone; break;
              case 6: cut = a != lone && b != lone && side[a] != side[b]; break;
            }
            if (cut) blocked_.insert({a, b});
          }
        }
        // clang-format on
        heal_at_ = now_ + 50 + rng_.Uniform(600);
      }
      break;
    case 3:
      if (opt_.pauses) {
        NodeId id = random_node();
        if (up(id) && !at(id).paused) {
          Pause(id);
          resume_at_[id] = now_ + 20 + rng_.Uniform(300);
        }
      }
      break;
    case 4:
      if (opt_.membership) {
        NodeId l = Leader();
        if (l == kNoNode) break;
        Raft& r = *at(l).raft;
        const Membership& m = r.membership();
        NodeId id = random_node();
        ConfChange cc;
        cc.node = id;
        if (m.IsVoter(id)) {
          if (m.voters.size() <= 2) break;
          cc.type = ConfChange::Type::kRemove;
        } else if (m.IsLearner(id)) {
          cc.type = rng_.Chance(0.7) ? ConfChange::Type::kAddVoter : ConfChange::Type::kRemove;
        } else {
          cc.type = rng_.Chance(0.7) ? ConfChange::Type::kAddLearner : ConfChange::Type::kAddVoter;
        }
        r.ProposeConfChange(cc);
      }
      break;
    case 5:
      if (opt_.transfers) {
        NodeId l = Leader();
        if (l == kNoNode) break;
        at(l).raft->TransferLeadership(random_node());
      } else if (opt_.partitions) {
        blocked_.clear();  // heal early
      }
      break;
  }
}

uint64_t Cluster::NextBusyUnit() const {
  const uint64_t next = now_ + 1;
  if (opt_.propose_rate > 0 || opt_.read_rate > 0 || opt_.snapshot_rate > 0) return next;
  if (faults_on_ && (opt_.fault_every > 0 || heal_at_ != 0 || !restart_at_.empty() ||
                     !resume_at_.empty())) {
    return next;
  }
  uint64_t busy = net_.empty() ? std::numeric_limits<uint64_t>::max() : std::max(next, net_.front().at);
  const auto period = static_cast<uint64_t>(opt_.tick_units);
  for (const SimNode& n : nodes_) {
    if (!n.raft) continue;
    if (n.raft->HasReady() || n.tick_rate != 1 || n.cpu_share < 1 || n.disk_failed) return next;
    if (!n.staged.empty()) busy = std::min(busy, std::max(next, n.staged.front().at));
    if (n.paused) continue;
    // The first unit u > now_ with (u + phase) % period == 0, as Unit() ticks.
    const uint64_t phase = static_cast<uint64_t>(n.tick_phase) % period;
    const uint64_t tick = next + (period - (next + phase) % period) % period;
    busy = std::min(busy, tick);
  }
  return busy;
}

void Cluster::SkipIdleUntil(uint64_t unit) {
  // ClientOps' draws of an idle unit: the proposal's chance (while the load is on) and the read's.
  for (; now_ + 1 < unit; ++now_) {
    if (load_on_) rng_.Next();
    rng_.Next();
  }
}

bool Cluster::Run(int units) {
  for (int i = 0; i < units && inv_.ok(); ++i) Unit();
  return inv_.ok();
}

void Cluster::StopFaults() {
  faults_on_ = false;
  load_on_ = false;  // the liveness check measures recovery, not a backlog
  blocked_.clear();
  heal_at_ = 0;
  for (SimNode& n : nodes_) {
    if (!n.raft) Restart(n.id);
    n.paused = false;
  }
  restart_at_.clear();
  resume_at_.clear();
}

int Cluster::AwaitProgress(int max_units, bool quorum_only) {
  const uint64_t start = now_;
  NodeId proposed_at = kNoNode;
  uint64_t proposed_term = 0, index = 0;
  std::string tag = "await-" + std::to_string(now_);
  while (now_ - start < static_cast<uint64_t>(max_units)) {
    if (!Run(1)) return -1;
    NodeId l = Leader();
    if (l == kNoNode) continue;
    Raft& lr = *at(l).raft;
    if (l != proposed_at || lr.term() != proposed_term) {
      if (lr.Propose(tag, &index) != Err::kOk) continue;
      proposed_at = l;
      proposed_term = lr.term();
      continue;
    }
    size_t done = 0;
    for (NodeId v : lr.membership().voters) {
      const SimNode& n = at(v);
      if (n.raft && n.applied >= index && n.raft->leader() == l) ++done;
    }
    const size_t need =
        quorum_only ? lr.membership().voters.size() / 2 + 1 : lr.membership().voters.size();
    if (done >= need) return static_cast<int>(now_ - start);
  }
  return -1;
}

std::string Cluster::Describe() const {
  std::string out;
  for (const SimNode& n : nodes_) {
    char line[256];
    if (!n.raft) {
      std::snprintf(line, sizeof line, "n%llu: down (durable term %llu commit %llu)\n",
                    static_cast<unsigned long long>(n.id),
                    static_cast<unsigned long long>(n.durable.hs.term),
                    static_cast<unsigned long long>(n.durable.hs.commit));
    } else {
      BasicStatus s = n.raft->Status();
      std::snprintf(
          line, sizeof line,
          "n%llu: %s term %llu leader %llu commit %llu last %llu snap %llu applied %llu "
          "voters %zu learners %zu%s\n",
          static_cast<unsigned long long>(n.id), RoleName(s.role),
          static_cast<unsigned long long>(s.term), static_cast<unsigned long long>(s.leader),
          static_cast<unsigned long long>(s.commit), static_cast<unsigned long long>(s.last_index),
          static_cast<unsigned long long>(s.snapshot_index),
          static_cast<unsigned long long>(n.applied), s.membership.voters.size(),
          s.membership.learners.size(), n.paused ? " paused" : "");
    }
    out += line;
  }
  return out;
}

}  // namespace splitbrain::raft::sim

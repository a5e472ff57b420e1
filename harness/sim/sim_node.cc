#include "harness/sim/sim_node.h"

#include "node/node.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace splitbrain::harness::sim {
using nlohmann::json;
using raft::NodeId;

namespace {

records::Outcome OutcomeOf(node::OpResult::Kind kind) {
  switch (kind) {
    case node::OpResult::Kind::kOk:
      return records::Outcome::kOk;
    case node::OpResult::Kind::kFail:
      return records::Outcome::kFail;
    case node::OpResult::Kind::kUnknown:
      break;
  }
  return records::Outcome::kUnknown;
}

}  // namespace

SimNodes::SimNodes(SimNodeOptions options, Answer answer)
    : opt_(options), answer_(std::move(answer)), nodes_(static_cast<size_t>(options.nodes)) {}

void SimNodes::Reply(uint64_t request, const node::OpResult& r, NodeId leader) {
  node::Reply out;
  out.outcome = OutcomeOf(r.kind);
  out.http_status = r.http;
  out.value = r.value;
  out.error = r.error;
  if (leader != raft::kNoNode) {
    out.leader = NodeName(leader);
    out.leader_client = "sim:" + NodeName(leader);
  }
  answer_(request, out);
}

void SimNodes::NotLeader(NodeId id, uint64_t request) {
  // node.cc RespondNotLeader: 421 naming the leader, or 503 when none is known.
  const NodeId leader = cluster_->node(id)->leader();
  if (leader == raft::kNoNode || leader == id) {
    Reply(request, {node::OpResult::Kind::kFail, 503, nullptr, "no leader"}, raft::kNoNode);
  } else {
    Reply(request, {node::OpResult::Kind::kFail, 421, nullptr, "not leader"}, leader);
  }
}

void SimNodes::Receive(NodeId id, uint64_t request, Command command, int64_t now_ms) {
  if (!cluster_->up(id)) {
    node::Reply refused;
    refused.outcome = records::Outcome::kFail;  // the connection was refused: nothing was sent
    refused.error = "connecting to " + NodeName(id) + ": connection refused (down)";
    answer_(request, refused);
    return;
  }
  if (cluster_->halted(id)) {
    at(id).held.push_back({request, std::move(command)});
    return;
  }
  Handle(id, {request, std::move(command)}, now_ms);
}

void SimNodes::Handle(NodeId id, const Request& req, int64_t now_ms) {
  NodeState& n = at(id);
  raft::Raft& raft = *cluster_->node(id);
  NoteRoleChange(id);
  if (Status v = node::StateMachine::Validate(*req.command); !v.ok()) {
    Reply(req.id, node::OpResult::BadRequest(v.message()), raft::kNoNode);
    return;
  }
  const std::string& op = (*req.command)["op"].get_ref<const std::string&>();
  if (node::StateMachine::IsRead(op)) {
    // Reads are served by the leader (ReadIndex); with stale-read every node answers.
    if (raft.role() != raft::Role::kLeader && !opt_.stale_read) {
      NotLeader(id, req.id);
      return;
    }
    n.read_queue.push_back(req);
    return;
  }
  if (raft.role() != raft::Role::kLeader) {
    NotLeader(id, req.id);
    return;
  }
  // node.cc HandleCommand: a compare-and-set whose compare fails on the applied state, on a
  // key no write in flight names, without a session, goes the read way (ServeReads); not with
  // ack-before-commit, whose early `ok` for a cas in the log is what its plans catch.
  if (op == "cas" && !opt_.ack_before_commit && !req.command->contains("client") &&
      n.sm.CasFailure(*req.command)) {
    const json& key = (*req.command)["key"];
    const bool in_flight = std::any_of(n.pending.begin(), n.pending.end(), [&](const auto& p) {
      auto k = p.second.command->find("key");
      return k != p.second.command->end() && *k == key;
    });
    if (!in_flight) {
      n.read_queue.push_back(req);
      return;
    }
  }
  Propose(id, req, now_ms);
}

void SimNodes::Propose(NodeId id, const Request& req, int64_t now_ms) {
  NodeState& n = at(id);
  raft::Raft& raft = *cluster_->node(id);
  json cmd = *req.command;
  cmd["t"] = now_ms;  // the log's own time: the leader's clock, here the simulated one
  uint64_t index = 0;
  std::string data = cmd.dump();
  raft::Err err = raft.Propose(data, &index);
  if (err != raft::Err::kOk) {
    Reply(req.id,
          {node::OpResult::Kind::kFail, err == raft::Err::kNotLeader ? 421 : 503, nullptr,
           std::string("proposal refused: ") + raft::ErrName(err)},
          raft::kNoNode);
    return;
  }
  // The entry's command is `cmd`, which parsing `data` gives back: ParsedCommand need not
  // parse it when it is applied (parsing was 6 % of a seed of quick.yaml).
  Parsed& parsed = parsed_[index % kParsedSlots];
  parsed.data = std::move(data);
  parsed.command = std::move(cmd);
  n.pending[index] = {raft.term(), req.id, now_ms + opt_.request_timeout_ms, req.command};
}

void SimNodes::NoteRoleChange(NodeId id) {
  NodeState& n = at(id);
  raft::Raft& raft = *cluster_->node(id);
  const bool was_leader = n.role_known && n.last_role == raft::Role::kLeader;
  const bool changed = !n.role_known || raft.role() != n.last_role || raft.term() != n.last_term;
  if (changed || raft.leader() != n.last_leader) {
    // node.cc NoteRoleChange: a role event whenever the role, term or known leader changes.
    records::NodeEvent ev;
    ev.event = "role";
    ev.role = raft::RoleName(raft.role());
    ev.term = static_cast<int64_t>(raft.term());
    if (raft.leader() != raft::kNoNode) ev.leader = NodeName(raft.leader());
    Event(id, std::move(ev));
  }
  n.role_known = true;
  n.last_role = raft.role();
  n.last_term = raft.term();
  n.last_leader = raft.leader();
  if (!changed || !was_leader) return;
  // node.cc: a deposed leader's writes may still commit under the next leader: unknown.
  for (auto& [index, p] : n.pending) {
    Reply(p.request, {node::OpResult::Kind::kUnknown, 504, nullptr, "leadership lost"},
          raft::kNoNode);
  }
  n.pending.clear();
  if (opt_.stale_read) return;
  // Reads not yet confirmed will not be by us; a confirmed one stays (its index was
  // confirmed while we led).
  for (auto it = n.reads.begin(); it != n.reads.end();) {
    if (it->second.confirmed) {
      ++it;
      continue;
    }
    for (const Request& r : it->second.reads) {
      Reply(r.id, {node::OpResult::Kind::kFail, 503, nullptr, "leadership lost before the read"},
            raft::kNoNode);
    }
    it = n.reads.erase(it);
  }
}

void SimNodes::ServeReads(NodeId id, int64_t now_ms) {
  NodeState& n = at(id);
  for (auto it = n.reads.begin(); it != n.reads.end();) {
    ReadBatch& b = it->second;
    if (b.confirmed && n.applied >= b.index) {
      for (const Request& r : b.reads) {
        if (node::StateMachine::IsRead((*r.command)["op"].get_ref<const std::string&>())) {
          Reply(r.id, n.sm.Query(*r.command), raft::kNoNode);
        } else if (std::optional<node::OpResult> failed = n.sm.CasFailure(*r.command)) {
          Reply(r.id, *failed, raft::kNoNode);  // node.cc FinishCasRead
        } else {
          Propose(id, r, now_ms);
        }
      }
      it = n.reads.erase(it);
    } else {
      ++it;
    }
  }
}

void SimNodes::AfterUnit(int64_t now_ms) {
  for (NodeId id = 1; id <= nodes_.size(); ++id) {
    NodeState& n = at(id);
    if (!cluster_->up(id) || cluster_->halted(id)) continue;
    NoteRoleChange(id);
    while (!n.held.empty()) {
      Request r = std::move(n.held.front());
      n.held.pop_front();
      Handle(id, r, now_ms);
    }
    if (!n.read_queue.empty()) {
      // One ReadIndex confirms every read that arrived meanwhile.
      const std::string ctx = NodeName(id) + "-r" + std::to_string(++n.next_read);
      ReadBatch batch;
      batch.reads = std::move(n.read_queue);
      n.read_queue.clear();
      batch.deadline_ms = now_ms + opt_.request_timeout_ms;
      raft::Err err = cluster_->node(id)->ReadIndex(ctx);
      if (err != raft::Err::kOk) {
        for (const Request& r : batch.reads) {
          Reply(r.id,
                {node::OpResult::Kind::kFail, 503, nullptr,
                 std::string("read refused: ") + raft::ErrName(err)},
                raft::kNoNode);
        }
      } else {
        n.reads[ctx] = std::move(batch);
      }
    }
    ServeReads(id, now_ms);
    // Deadlines (node.cc ExpireRequests): a write not committed in time is unknown, a read
    // not confirmed in time changed nothing.
    for (auto it = n.pending.begin(); it != n.pending.end();) {
      if (it->second.deadline_ms <= now_ms) {
        Reply(it->second.request,
              {node::OpResult::Kind::kUnknown, 504, nullptr, "not committed in time"},
              raft::kNoNode);
        it = n.pending.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = n.reads.begin(); it != n.reads.end();) {
      if (it->second.deadline_ms <= now_ms) {
        for (const Request& r : it->second.reads) {
          Reply(
              r.id,
              {node::OpResult::Kind::kFail, 503, nullptr, "read not confirmed by a quorum in time"},
              raft::kNoNode);
        }
        it = n.reads.erase(it);
      } else {
        ++it;
      }
    }
    if (opt_.snapshot_entries > 0) {
      const raft::Raft& raft = *cluster_->node(id);
      if (n.applied >= raft.log().snapshot_index() + static_cast<uint64_t>(opt_.snapshot_entries)) {
        uint64_t index = 0;
        (void)cluster_->SnapshotNow(id, &index);
      }
    }
  }
}

int64_t SimNodes::NextBusyMs(int64_t now_ms) const {
  const int64_t next = now_ms + 1;
  int64_t busy = std::numeric_limits<int64_t>::max();
  for (NodeId id = 1; id <= nodes_.size(); ++id) {
    const NodeState& n = at(id);
    if (!cluster_->up(id) || cluster_->halted(id)) continue;  // as AfterUnit: nothing to do
    const raft::Raft& raft = *cluster_->node(id);
    if (!n.held.empty() || !n.read_queue.empty() || !n.role_known || raft.role() != n.last_role ||
        raft.term() != n.last_term || raft.leader() != n.last_leader) {
      return next;
    }
    if (opt_.snapshot_entries > 0 &&
        n.applied >= raft.log().snapshot_index() + static_cast<uint64_t>(opt_.snapshot_entries)) {
      return next;
    }
    for (const auto& [index, p] : n.pending) busy = std::min(busy, p.deadline_ms);
    for (const auto& [ctx, b] : n.reads) {
      if (b.confirmed && n.applied >= b.index) return next;
      busy = std::min(busy, b.deadline_ms);
    }
  }
  return std::max(busy, next);
}

void SimNodes::Event(NodeId id, records::NodeEvent ev) {
  ev.t = kEventsOriginNs + static_cast<int64_t>(cluster_ ? cluster_->now() : 0) * 1'000'000;
  ev.node = NodeName(id);
  std::string& log = at(id).events;
  log += records::NodeEventJson(ev).dump();
  log += '\n';
}

void SimNodes::Started(NodeId id) {
  std::string events = std::move(at(id).events);
  at(id) = NodeState();
  at(id).events = std::move(events);
  // node.cc Start: the term and commit it restarts from (the first boot: nothing yet).
  const raft::Raft* raft = cluster_ ? cluster_->node(id) : nullptr;
  records::NodeEvent ev;
  ev.event = "start";
  ev.term = raft ? static_cast<int64_t>(raft->term()) : 0;
  ev.commit = raft ? static_cast<int64_t>(raft->log().commit()) : 0;
  ev.applied = raft ? static_cast<int64_t>(raft->log().snapshot_index()) : 0;
  Event(id, std::move(ev));
}

void SimNodes::Crashed(NodeId id) {
  NodeState& n = at(id);
  // Every request the process held ends with the connection: unknown for a write (it may be
  // in the log), and a read's client cannot tell either.
  node::OpResult lost{node::OpResult::Kind::kUnknown, 0, nullptr, "connection lost: node killed"};
  for (auto& [index, p] : n.pending) Reply(p.request, lost, raft::kNoNode);
  for (auto& [ctx, b] : n.reads) {
    for (const Request& r : b.reads) Reply(r.id, lost, raft::kNoNode);
  }
  for (const Request& r : n.read_queue) Reply(r.id, lost, raft::kNoNode);
  for (const Request& r : n.held) Reply(r.id, lost, raft::kNoNode);
  std::string events = std::move(n.events);
  n = NodeState();
  n.events = std::move(events);
}

void SimNodes::Restored(NodeId id, uint64_t index, const std::string& image) {
  NodeState& n = at(id);
  Status st = n.sm.Restore(image);
  if (!st.ok()) std::abort();  // our own image: a broken invariant of the simulator
  n.applied = index;
}

void SimNodes::Installed(NodeId id, uint64_t index, const std::string& image) {
  NodeState& n = at(id);
  // The node's own install path (node.cc InstallSnapshot), its planted bug included.
  Status st = node::InstallSnapshotImage(&n.sm, image, opt_.install_keeps_state);
  if (!st.ok()) std::abort();  // our own image: a broken invariant of the simulator
  n.applied = index;
}

void SimNodes::Persisted(NodeId id, const std::vector<raft::Entry>& entries) {
  if (!opt_.ack_before_commit) return;
  // node.cc FinishReady with ack-before-commit: a write is answered as soon as its entry is in
  // the leader's own durable log, before any quorum has it.
  NodeState& n = at(id);
  for (const raft::Entry& e : entries) {
    auto it = n.pending.find(e.index);
    if (it == n.pending.end() || it->second.term != e.term) continue;
    const Pending p = it->second;
    n.pending.erase(it);
    Reply(p.request, node::AckBeforeCommit(*p.command), raft::kNoNode);
  }
}

void SimNodes::Applied(NodeId id, const raft::Entry& entry) {
  NodeState& n = at(id);
  n.applied = entry.index;
  if (entry.type != raft::EntryType::kNormal || entry.data.empty()) return;
  const json* command = ParsedCommand(entry);
  node::OpResult result = command ? n.sm.Apply(*command) : n.sm.ApplyData(entry.data);
  auto it = n.pending.find(entry.index);
  if (it == n.pending.end()) return;
  const Pending p = it->second;
  n.pending.erase(it);
  if (p.term == entry.term) {
    Reply(p.request, result, raft::kNoNode);
  } else {
    // Another leader's entry took this index: ours can never be committed.
    Reply(p.request,
          {node::OpResult::Kind::kFail, 503, nullptr,
           "proposal superseded by another leader's entry"},
          raft::kNoNode);
  }
}

const json* SimNodes::ParsedCommand(const raft::Entry& entry) {
  Parsed& p = parsed_[entry.index % kParsedSlots];
  if (p.data != entry.data) {
    json cmd = json::parse(entry.data.begin(), entry.data.end(), nullptr,
                           /*allow_exceptions=*/false);
    if (cmd.is_discarded()) return nullptr;  // ApplyData answers it
    p.data = entry.data;
    p.command = std::move(cmd);
  }
  return &p.command;
}

void SimNodes::ReadReady(NodeId id, const raft::ReadState& rs) {
  NodeState& n = at(id);
  auto it = n.reads.find(rs.context);
  if (it == n.reads.end()) return;
  it->second.confirmed = true;
  it->second.index = rs.index;
}

std::string SimNodes::Image(NodeId id) { return at(id).sm.Serialize(); }

}  // namespace splitbrain::harness::sim

// Node: one splitbrain-node server — the raft core driven with real disk (Storage), a TCP
// transport to peers (Transport), the key-value/lock state machine and the HTTP client API
// (docs/CONTRACTS.md). Everything runs on one io_context thread — raft, apply, HTTP handlers and
// transport callbacks — except the disk and the client connections: a persister thread, the only
// user of Storage once started, writes and fsyncs each Ready (one write + one fsync: group
// commit) while the io thread goes on ticking, so a long fsync never starves heartbeats. A
// Ready's messages (but heartbeats and their answers), commits and applies wait until it and
// every earlier one are durable; the two threads share only the job queue (persist_mu_) and a
// few atomic counters. With options.http.own_thread (the binary's default) the HTTP server reads
// and writes client connections on a thread of its own and posts each request to this io_context
// (HandleHttp runs here), its answer back to its own (node/http_server.h).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "common/latency_histogram.h"
#include "common/rng.h"
#include "common/status.h"
#include "node/env.h"
#include "node/failpoint.h"
#include "node/http_server.h"
#include "node/state_machine.h"
#include "node/storage.h"
#include "node/transport.h"
#include "raft/raft.h"
#include "records/node_events.h"

namespace splitbrain::node {

// Planted bugs (DESIGN.md) this node knows.
const std::vector<std::string>& KnownBugs();

// Turns on, in `bugs`, the planted bug `name` when it lives in the raft core; false for a bug
// of the node's own (disk or apply path) or an unknown name. The node and the simulator
// (harness/sim) both map names to the core's bugs through it.
bool SetRaftBug(const std::string& name, raft::Config::Bugs* bugs);

// The two planted bugs of the node's apply path, shared with the simulator (harness/sim), which
// runs them where the node does: ack-before-commit answers a write once it is in the leader's
// own durable log with what this returns (ok, the value it writes; true when it writes none);
// InstallSnapshotImage installs the leader's snapshot `image` into `sm` — with
// install-keeps-state (`keeps_state`) the image is dropped and `sm` keeps its own, older state.
OpResult AckBeforeCommit(const nlohmann::json& command);
Status InstallSnapshotImage(StateMachine* sm, std::string_view image, bool keeps_state);

struct NodeOptions {
  std::string id;        // "n1": names are n<number>, the number being the raft id
  std::string data_dir;  // WAL, snapshot, default event log
  std::map<std::string, MemberAddress> members;  // initial configuration (every voter)
  std::string peer_listen;    // "host:port"; default: this node's member peer address
  std::string client_listen;  // "host:port"; default: this node's member client address
  bool join = false;          // not in the initial configuration: wait to be added
  std::string events_path;    // default data_dir/events.jsonl
  int tick_ms = 10;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  uint64_t snapshot_entries = 10000;      // snapshot when this many entries follow the last one
  std::set<std::string> bugs;             // names from KnownBugs()
  int request_timeout_ms = 5000;          // a write not committed by then is answered "unknown"
  uint64_t max_entries_per_msg = 256;     // raft::Config: entries per AppendEntries
  uint64_t max_inflight_msgs = 256;       // raft::Config: unacknowledged AppendEntries per follower
  bool targeted_read_rounds = true;       // raft::Config: --read-rounds quorum (false: all)
  std::vector<FailpointSpec> failpoints;  // armed failpoints (failpoint.h); empty = none
  int crash_restart_ms = 500;             // a failpoint crash starts the node again after this long
  // Seeds election timeouts and failpoint rolls (mixed with CrashRestarts()); absent: random.
  std::optional<uint64_t> seed;
  Env* env = nullptr;  // default PosixEnv()
  // A command whose log entry would be larger is refused (413) before it is proposed.
  size_t max_entry_bytes = 1 << 20;
  // Proposals not yet applied may hold at most this many bytes; beyond, new writes are refused
  // (503, fail) so that no Ready grows into a write + fsync long enough to starve the tick.
  size_t max_pending_bytes = 8 << 20;
  // When not empty, /admin/* need "Authorization: Bearer <admin_token>" (401 otherwise).
  std::string admin_token;
  HttpServerOptions http;  // timeouts and connection cap; max_body_bytes follows max_entry_bytes
};

// "n12" -> 12; 0 when the name is not n<positive number>.
raft::NodeId NodeIdFromName(const std::string& name);
std::string NodeName(raft::NodeId id);

// FNV-1a 64 of `data` as 16 hex digits (the event log's entry hash).
std::string Fnv1a64Hex(std::string_view data);

class Node {
 public:
  // Opens the storage (kCorruption when it refuses the log) and builds the raft core.
  static Result<std::unique_ptr<Node>> Create(boost::asio::io_context& ioc, NodeOptions options);
  ~Node();

  // Binds the peer and client addresses and starts ticking.
  Status Start();
  // Stops listening and ticking (the io_context then runs out of work).
  void Stop();

 private:
  Node(boost::asio::io_context& ioc, NodeOptions options);
  Status Init();

  struct Pending {
    uint64_t term = 0;
    size_t bytes = 0;  // the entry's size, counted in pending_bytes_
    int64_t deadline_ms = 0;
    // The command as proposed (its "t" included): the entry's data is command.dump(), so the
    // leader applies it from here instead of parsing the entry again (stats.applied_own), and
    // ack-before-commit answers from it.
    nlohmann::json command;
    std::string key;  // the command's "key", counted in pending_keys_; empty if none
    std::function<void(const OpResult&)> done;
    // For stats.latency_us: when proposed (MonoUs), and whether its durable and committed
    // moments were counted yet (RecordReached).
    int64_t proposed_us = 0;
    bool durable_counted = false;
    bool committed_counted = false;
  };
  struct PendingRead {
    nlohmann::json command;
    Respond respond;
    int64_t queued_us = 0;  // when it arrived (MonoUs), for stats.latency_us.read_answered
  };
  struct ReadBatch {
    std::vector<PendingRead> reads;
    int64_t deadline_ms = 0;
    uint64_t index = 0;
    bool confirmed = false;
  };

  // What the persister writes for one Ready (or a snapshot of our own), in queue order.
  struct PersistJob {
    std::optional<raft::Snapshot> snapshot;  // saved first
    Storage::LogWrite log;                   // entries and hard state
    bool append = true;                      // false: a snapshot only
  };
  // A Ready handed out by the core, waiting for its persistence and every earlier one's.
  struct Staged {
    raft::Ready rd;
    bool needs_disk = false;
    bool persisted = false;
    std::function<void()> after;  // run once it is through (a snapshot's answer)
  };

  void Kick();
  void Process();
  void Stage(raft::Ready rd, std::optional<PersistJob> job, std::function<void()> after = {});
  void PersistLoop();  // the persister thread
  // io thread: the oldest `jobs` jobs are durable; `durable` is the newest log entry they hold
  // (index, term), if any.
  void OnPersisted(size_t jobs, std::optional<std::pair<uint64_t, uint64_t>> durable);
  void DrainStaged();  // finishes, in order, every Ready that is through
  // Applies, in order, the staged Readys' committed entries that are already durable here,
  // ahead of the disk write of the Ready that carries them.
  void ApplyDurableCommitted();
  // True when entry `e` of our log is durable on this node's disk.
  bool DurableHere(const raft::Entry& e) const;
  void FinishReady(raft::Ready& rd);
  void MaybeSnapshot();
  void OnTick();
  void ApplyEntry(const raft::Entry& e);
  void InstallSnapshot(const raft::Snapshot& snap);
  // Snapshots the state machine at applied_ and has the persister save it; `done` when saved.
  void TakeSnapshot(std::function<void(const Status&)> done);
  void ServeReads();
  // A compare-and-set whose compare failed on this leader's state when it arrived goes as a
  // read (HandleCommand); once its round is confirmed and applied, a compare that still fails
  // is answered `fail` here, and one that now holds is proposed as usual.
  void FinishCasRead(PendingRead r);
  // ReadIndex rounds this node started that are not confirmed yet.
  int ReadRoundsInFlight() const;
  void SendPeer(const raft::Message& m);  // counts it (stats.sent) and hands it to the transport
  void ExpireRequests();
  void FailPendingWrites(const std::string& why);
  void NoteRoleChange();
  void RegisterAddress(const std::string& name, const MemberAddress& addr);

  void HandleHttp(HttpRequest req, Respond respond);
  // True when `authorization` carries the admin token (or none is required).
  bool AdminAuthorized(const std::string& authorization) const;
  // Takes pending_[index] out (keeping pending_bytes_ in step).
  Pending TakePending(std::map<uint64_t, Pending>::iterator it);
  void HandleCommand(const nlohmann::json& cmd, Respond respond);
  void HandleAdd(const nlohmann::json& body, Respond respond);
  void HandleRemove(const nlohmann::json& body, Respond respond);
  void HandleTransfer(const nlohmann::json& body, Respond respond);
  // Proposes a membership change and answers `respond` once it commits (or fails).
  void ProposeConfChange(const raft::ConfChange& cc, const Respond& respond);
  nlohmann::json StatusJson() const;
  // Proposes `cmd` (stamped with the log time) and calls `done` when it is applied, lost or
  // timed out. Returns false (and answers `respond`) when the proposal was refused.
  void ProposeCommand(nlohmann::json cmd, std::function<void(const OpResult&)> done);
  void RespondResult(const Respond& respond, const OpResult& r);
  void RespondNotLeader(const Respond& respond);
  nlohmann::json LeaderFields() const;

  // Appends `ev` to the event log, stamped with the wall clock and this node's id.
  void Event(records::NodeEvent ev);
  // Passes the failpoint `name`: acts when it is armed and its roll comes up.
  void Failpoint(const std::string& name);
  int64_t NowMs() const;
  int64_t MonoUs() const;  // the monotonic clock in microseconds, for stats.latency_us
  // For each of our proposals up to `index` still in our log and not yet `counted`: records in
  // `h` the time since it was proposed (its durable moment here, or its commit).
  void RecordReached(uint64_t index, bool Pending::*counted, LatencyHistogram& h);

  boost::asio::io_context& ioc_;
  NodeOptions options_;
  raft::NodeId id_ = 0;
  bool bug_no_fsync_ = false;
  bool bug_ack_before_commit_ = false;
  bool bug_install_keeps_state_ = false;

  std::unique_ptr<Storage> storage_;
  std::unique_ptr<raft::Raft> raft_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<HttpServer> http_;
  boost::asio::steady_timer tick_timer_;
  uint64_t seed_;  // this life's seed (the start event records it)
  Rng rng_;
  Failpoints failpoints_;
  StateMachine sm_;
  std::map<std::string, MemberAddress> addresses_;  // every address learned (flags, log, admin)

  uint64_t applied_ = 0;
  uint64_t applied_term_ = 0;
  raft::Membership membership_;  // as of applied_
  uint64_t last_commit_event_ = 0;
  raft::Role last_role_ = raft::Role::kFollower;
  uint64_t last_term_ = 0;
  raft::NodeId last_leader_ = raft::kNoNode;
  bool role_known_ = false;

  std::map<uint64_t, Pending> pending_;  // by log index
  size_t pending_bytes_ = 0;             // sum of pending_'s entry sizes
  // How many of pending_'s commands name each key: a compare-and-set on a key with a write of
  // ours still in flight goes through the log (HandleCommand), where it is decided after it.
  std::map<std::string, int> pending_keys_;
  std::vector<PendingRead> read_queue_;  // waiting for the next ReadIndex
  std::map<std::string, ReadBatch> reads_;
  uint64_t next_read_id_ = 0;
  struct Transfer {
    raft::NodeId to;
    int64_t deadline_ms;
    Respond respond;
  };
  std::vector<Transfer> transfers_;

  std::deque<Staged> staged_;  // oldest first
  // The newest log entry known durable here (index, term), as the persister last reported it
  // (or as restored): with Log Matching, our log is durable up to it while it still holds it.
  std::pair<uint64_t, uint64_t> durable_{0, 0};
  bool snapshot_in_flight_ = false;
  // The newest hard state a Ready handed out, and whether its commit index is not in a job yet
  // (Process: a change of the commit index alone waits for the next write).
  raft::HardState handed_hard_state_;
  bool commit_unwritten_ = false;
  std::mutex persist_mu_;
  std::condition_variable persist_cv_;
  std::deque<PersistJob> persist_jobs_;  // GUARDED_BY(persist_mu_)
  bool persist_stop_ = false;            // GUARDED_BY(persist_mu_)
  std::thread persister_;
  // Storage's figures as of the last job done (the io thread must not touch Storage).
  std::atomic<uint64_t> stored_snapshot_index_{0};
  std::atomic<uint64_t> stored_entries_since_snapshot_{0};
  std::atomic<uint64_t> stored_fsyncs_{0};

  uint64_t stat_ticks_ = 0;    // OnTick runs: one per tick_ms while the node gets the CPU
  uint64_t stat_readys_ = 0;   // Readys handled
  uint64_t stat_entries_ = 0;  // entries persisted
  // Entries applied ahead of the write of the Ready that carried them (ApplyDurableCommitted).
  uint64_t stat_applied_ahead_ = 0;
  uint64_t stat_commit_only_ = 0;  // Readys whose hard state changed the commit index alone
  uint64_t stat_applied_own_ = 0;  // entries applied from our own proposal's parsed command
  // ReadIndex rounds begun and the reads they carried (Process): reads / rounds is how many
  // reads one heartbeat round confirms, the point of batching them.
  uint64_t stat_read_rounds_ = 0;
  std::array<uint64_t, 16> stat_sent_{};  // peer messages handed to the transport, by type
  uint64_t stat_reads_ = 0;
  // Compare-and-sets sent the read way (HandleCommand), and of those the ones answered `fail`
  // without a log entry (FinishCasRead); the rest were proposed.
  uint64_t stat_cas_reads_ = 0;
  uint64_t stat_cas_failed_by_read_ = 0;
  // stats.latency_us (node/README.md): where an operation's time goes, in microseconds since the
  // process started. log_sync is recorded by the persister, the rest on the io thread.
  struct Latencies {
    LatencyHistogram log_sync;         // one write + fsync of the log (a group of Readys)
    LatencyHistogram write_durable;    // a write we proposed: until durable on our disk
    LatencyHistogram write_committed;  // ... until committed
    LatencyHistogram write_answered;   // ... until applied and answered
    LatencyHistogram read_answered;    // a read: from its arrival until answered
  };
  Latencies latency_;
  static nlohmann::json LatenciesJson(const Latencies& l);
  bool process_posted_ = false;
  bool stopped_ = false;
  std::unique_ptr<records::NodeEventWriter> events_;
};

}  // namespace splitbrain::node

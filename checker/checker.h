// The checkers the harness runs after a test, behind one shape: each returns a CheckResult whose
// `json` goes into results.json's "checkers" (docs/CONTRACTS.md): {"valid": true|false|"unknown",
// figures..., and when invalid "explanation" (text) and "details" (data for the report)}.
// Running out of a Budget gives kUnknown, never kValid. Functions are thread-safe (no shared
// state); CheckLinearizable uses Budget::threads worker threads internally.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "records/fault_log.h"
#include "records/history.h"

namespace splitbrain::checker {

// The checkers read the records' types (records/history.h) under their own names.
using records::FaultEvent;
using records::History;
using records::HistoryBuilder;
using records::Operation;
using records::Outcome;

enum class Validity { kValid, kInvalid, kUnknown };

// true / false / "unknown", as results.json writes it.
nlohmann::json ValidityJson(Validity v);
const char* ValidityName(Validity v);  // "valid", "invalid", "unknown"

struct CheckResult {
  Validity valid = Validity::kUnknown;
  // {"valid": ..., figures, "explanation": text (invalid/unknown), "details": {...} (invalid)}.
  nlohmann::json json;
};

// The head of a result that judges reads: invalid when `invalid`, else unknown when no read
// succeeded (explanation "no successful read: nothing to judge"), else valid; json "valid" and
// "reads" set. The checker adds its own figures, and its explanation when invalid.
CheckResult ReadsResult(bool invalid, int64_t reads);

struct Budget {
  double timeout_s = 0;          // wall-clock seconds for the whole check; 0 = no limit
  int64_t max_memory_bytes = 0;  // the search's own memory (memo, stacks); 0 = no limit
  int threads = 0;               // worker threads for per-key checking; 0 = hardware threads
};

// ---- linearizable -------------------------------------------------------------------------
// Models (docs/FORMAT.md): "register" (read/write/cas), "kv" (get/put/append), "mutex"
// (acquire/release), "set" (add/read: the read's value is the whole set). Keys present →
// one model object per key, keys checked independently and in parallel.
// The models' names, in the order above (the one list: linearizable.cc's model table).
std::vector<std::string> LinearizableModels();
struct LinearizableOptions {
  std::string model = "register";
  std::string initial;  // canonical JSON of the initial register value; empty = model default
  Budget budget;
  // register: a key whose writes (cas included) all write distinct values, none the initial
  // one, is decided by the unique-value check in near-linear time instead of the search.
  // false: always search (for tests and benchmarks that compare the two).
  bool unique_values = true;
  // register: each value is split by the writes that may have produced what is read of it
  // (read_sources.h), and an op no write can have served is invalid at once. false: the ops
  // as recorded (for tests and benchmarks that compare).
  bool split_values = true;
  // Keys with fewer operations than this keep their values as recorded: the search decides
  // them at once, and splitting 1,000 keys of 1,000 events each cost more than the search
  // (1M events: 0.2 s became 0.85 s). 0: every key (for tests).
  int64_t split_min_ops = 2000;
  // register search: configurations memoized by the first try, before the search starts over
  // with the dead-write rule (lin_search.h). -1: the default (2^20); 0: the rule from the
  // start (for tests that exercise it); a huge number: never the rule.
  int64_t first_try_configurations = -1;
  // register search: the pinned-zone rule (lin_search.h). false: without it (to measure).
  bool pinned_zones = true;
  // register search: the held-zone rule, zones for values with several writers left
  // (lin_search.h); it acts only with pinned_zones. false: without it (to measure).
  bool held_zones = true;
  // register: a key the unique-value check cannot decide (values repeat after the split) and
  // whose readers have few candidate writes is searched over read assignments
  // (source_assignment.h), after a short search over orders (assign_probe_bytes); keys of
  // split_min_ops or more only; the search over orders takes what it leaves. false: not tried.
  bool assign_sources = true;
  // register: unique-value checks the assignment search may run on one key before it leaves
  // the key to the search over orders.
  int64_t assign_max_calls = 40000;
  // register: the memo of the short search over orders tried before read assignments (it
  // decides in milliseconds what it always did), or 256 bytes an operation when that is more.
  // 0: none (tests that force the assignments).
  int64_t assign_probe_bytes = int64_t{16} << 20;
};
// Errors (not verdicts): unknown model, an operation the model does not know, a malformed value
// (the message names the line).
// Result json: {"valid", "model", "keys", "ops", "checked_ops", "configurations", "seconds",
//   and when invalid "explanation" and "details": {"key", "op": OP, "needed": text,
//   "state": text, "prefix": [OP...] (the longest linearizable order found, in order),
//   "prefix_length", "concurrent": [OP...] (ops overlapping the failing one)}}; OP is
//   History::OpJson ({"index","process","f","key","value","output","type","invoke_line",...}).
// "unique_value_keys": keys decided by the unique-value check (no search, no configurations).
// "split_keys": keys whose values were split by their possible writers; "refuted_keys": keys
// with an op no write can have served (read_sources.h); "zone_cuts": search steps refused by the
// pinned-zone rule (lin_search.h); "held_cuts": those of them in which a zone of the held-zone
// rule took part. "assigned_keys": keys decided by the search over read assignments
// (source_assignment.h); "assignment_choices", "oracle_calls", "assignment_backtracks": its
// readers with a choice, unique-value checks and refuted choices, over all keys it was tried on
// (decided or not); "assignment_capped_keys": keys it gave up on (left to the search).
// "budget": {"timeout_s", "max_memory_bytes"} (0: none), the budget the check ran with.
// Unknown: "explanation" says which budget ran out (and how large it was) and on which key; a
// history with no operations is unknown too ("no operations: ... proves nothing"), never valid.
Result<CheckResult> CheckLinearizable(const History& history, const LinearizableOptions& options);

// The first kJsonListCap of `texts` (canonical JSON values) as a JSON array: how the set and
// queue checkers list elements in their results without growing them past reading.
constexpr size_t kJsonListCap = 100;
nlohmann::json CappedJsonList(const std::vector<std::string>& texts);

// ---- set (Jepsen set-full) ----------------------------------------------------------------
// add(v) ok/info/fail and read() ok → [elements]. Per key when keys are present. An element is
// known from the completion of its ok add or of the first ok read that lists it. It is lost when
// the last read that began after it was known lacks it; stale when such a read lacks it but a
// later one has it again (a stale read: Jepsen set-full's `linearizable?` mode, what every system
// here promises); unexpected when read but never added; duplicated when a read lists it twice.
// Any of these makes the history invalid. Figures: "ok_adds","lost","unexpected","duplicated",
// "stale" (lists, capped), "reads", and when invalid "first_anomaly_s" (the invoke time of the
// first read that lacked a lost or stale element, when the history has times).
CheckResult CheckSet(const History& history);

// ---- queue (a replicated log read whole; issue 16) -------------------------------------------
// enqueue(v) ok/info/fail and read() ok → [elements in the log's order]. As the set: an element
// is known from its ok enqueue or the first read that lists it, lost when the last read that
// began after it was known lacks it, stale when such a read lacks it but a later one has it
// again (the log went back and forth), unexpected when read but never sent (or only by a failed
// enqueue). Duplicates (an element listed twice in one read) are counted, not wrong: the log
// promises at-least-once. Order: any two reads (the first 16) list the elements they share in
// the same order, or the history is invalid. Figures: "ok_enqueues", "reads", "read_lengths",
// "lost", "lost_ranges" ([first, last] runs of consecutive integers), "unexpected",
// "duplicated", "stale", their counts, "never_read_count", and when invalid "first_anomaly_s" and
// "details": {"lost", "lost_ranges", "unexpected", "order": {"first", "second", "read_a",
// "read_b"} or null, "malformed_reads"}. No ok read: unknown.
CheckResult CheckQueue(const History& history);

// ---- counter ------------------------------------------------------------------------------
// add(n) (n may be negative) and read() → value. Each ok read must lie within
// [sum of ok adds completed before it began (plus any info/concurrent adds that lower it),
//  sum of ok/info adds invoked before it completed (plus those that raise it)].
CheckResult CheckCounter(const History& history);

// ---- monotonic-reads (register) ----------------------------------------------------------
// The session guarantee a store claims when reads may be served by any replica (NATS KV with
// direct gets): no process reads a key's value older than one it has read before. read / write
// / cas over unique values (workload register, values: 0). Value a is older than b when a's
// write (or cas) was acknowledged before b's was invoked — the leader orders them so — and the
// initial null is older than every written value; pairs of concurrent or unacknowledged writes
// are not ordered, so what it finds is certain and what it misses is not claimed. A read of a
// value never written is invalid too. Figures: "reads", "went_back", "never_written",
// "read_your_writes_misses" (a read older than the process's own earlier write: counted, not
// judged), and when invalid "explanation", "details": {"reads": [OP + "anomaly",
// "earlier_read"]}, "first_anomaly_s" (the first bad read's invocation).
CheckResult CheckMonotonicReads(const History& history);

// ---- bank ---------------------------------------------------------------------------------
// transfer {"from","to","amount"} and read → {account: balance}. Every ok read must sum to
// `total` (when total < 0: the first ok read's sum), have no negative balance and list the same
// accounts as the first read.
CheckResult CheckBank(const History& history, int64_t total);

// ---- lock ---------------------------------------------------------------------------------
// acquire (ok value = fencing token) / release, per key: linearizable against the mutex model,
// and the tokens of ok acquires strictly increase in real-time order (an acquire completing
// before another begins has the smaller token) and are never repeated.
Result<CheckResult> CheckLock(const History& history, const Budget& budget);

// ---- raft-invariants ----------------------------------------------------------------------
// Reads node event logs (docs/CONTRACTS.md "Node event log"): at most one leader per term;
// every node that applied index i applied the same (term, hash); commit index never decreases
// within one process lifetime. `paths` maps node id → events.jsonl. Error: unreadable file.
// With wall_origin_ns (CLOCK_REALTIME of the run's time 0) each violation carries "t_s" and the
// result "first_violation_s": seconds into the run of the earliest violating event.
Result<CheckResult> CheckRaftInvariants(const std::vector<std::string>& event_log_paths,
                                        int64_t wall_origin_ns = 0);
// Every nodes/<id>/events.jsonl under run_dir (records::NodeEventLogs).
Result<CheckResult> CheckRaftInvariantsDir(const std::string& run_dir, int64_t wall_origin_ns = 0);

// ---- availability -------------------------------------------------------------------------
// The fault log is read by records::ReadFaultLog (records/fault_log.h).
struct AvailabilityOptions {
  int64_t window_ns = 1'000'000'000;           // width of each time window
  int64_t recovery_bound_ns = 10'000'000'000;  // after the last heal, an ok must come within this
  double min_ok_share = 0;  // invalid if the overall share of ok operations is below this
};
// Figures: "windows": [{"start_s","ops","ok","share"}], "ok_share", "last_heal_s",
// "first_ok_after_heal_s", "recovery_s". Invalid when no ok operation completes within the
// bound after the last fault ends (and operations were attempted then), or the share is low.
// Needs "time" on events; without it the result is unknown.
CheckResult CheckAvailability(const History& history, const std::vector<FaultEvent>& faults,
                              const AvailabilityOptions& options);

// ---- term-churn --------------------------------------------------------------------------
// How often the cluster starts a new term (each rise of the highest term in the nodes' role and
// start events). Invalid when more than `max_terms` new terms begin within any `window_ns`: the
// cluster keeps electing, as Raft without Pre-Vote and CheckQuorum does under one-way partitions.
// Figures: "new_terms", "max_terms_in_window", "per_node" {id: {candidacies, leaderships,
// max_term}}, and with a known origin "faults" [{id, fault, start_s, new_terms}] and
// "first_anomaly_s" (when invalid). Unknown without role events.
struct TermChurnOptions {
  int64_t window_ns = 5'000'000'000;
  int max_terms = 10;
  int64_t wall_origin_ns = 0;  // CLOCK_REALTIME of the run's time 0; 0 = unknown
};
Result<CheckResult> CheckTermChurn(const std::vector<std::string>& event_log_paths,
                                   const std::vector<FaultEvent>& faults,
                                   const TermChurnOptions& options);
// nodes/*/events.jsonl and nemesis.jsonl under run_dir.
Result<CheckResult> CheckTermChurnDir(const std::string& run_dir, const TermChurnOptions& options);

// ---- stats and perf -----------------------------------------------------------------------
// Reported, never judged (always valid). stats: {"by_f": {f: {"ok"|"fail"|"info": count}}}
// (history null: no counts). perf: the ok operations' throughput over `duration_ns` and latency
// quantiles {"ok_ops", "ops_per_s", "latency_ms": {"p50","p95","p99","max"}}.
CheckResult CheckStats(const History* history);
CheckResult CheckPerf(std::vector<int64_t> ok_latencies_ns, int64_t duration_ns);

// ---- the registry of checkers -------------------------------------------------------------
// Every checker a plan may name and what it reads. The plan validator and RunChecker read it;
// there is no other list of checker names (a test checks each is documented in plans/README.md).
struct CheckerKind {
  std::string name;
  std::string reads;  // "history", "history, nemesis.jsonl", "events.jsonl", ...
  // The histories it can judge, by model (the workload registry names each workload's model);
  // empty: any workload's (it reads no operation's meaning: stats, perf, availability, the
  // event-log checkers).
  std::vector<std::string> models;
};
const std::vector<CheckerKind>& CheckerKinds();
const CheckerKind* FindCheckerKind(const std::string& name);  // null: no such checker
const std::vector<std::string>& CheckerNames();

// ---- by name, for the harness -------------------------------------------------------------
struct CheckerInputs {
  const History* history = nullptr;  // history.jsonl
  std::string run_dir;               // for raft-invariants (nodes/*/events.jsonl), nemesis.jsonl
  std::string model = "register";    // linearizable's model
  int64_t bank_total = -1;
  Budget budget;
  AvailabilityOptions availability;
  TermChurnOptions term_churn;
  int64_t wall_origin_ns =
      0;  // CLOCK_REALTIME of the history's time 0 (raft-invariants, term-churn)
  std::vector<int64_t> ok_latencies_ns;  // perf: each ok operation's latency
  int64_t duration_ns = 0;               // perf: the run's length
};
// name: one of CheckerNames(). Unknown name → error.
Result<CheckResult> RunChecker(const std::string& name, const CheckerInputs& inputs);

}  // namespace splitbrain::checker

// Random concurrent register histories for tests and benchmarks: a simulated register (one per
// key) driven by concurrent clients, with crashed clients (info operations that may take effect
// at any later time), definite failures, and injected anomalies. Deterministic for a seed.
// Not thread-safe per call; calls are independent.
#pragma once

#include <cstdint>

#include "common/rng.h"
#include "records/history.h"

namespace splitbrain::checker {

// The checkers read the records' types (records/history.h) under their own names.
using records::History;
using records::HistoryBuilder;
using records::Operation;
using records::Outcome;

struct GenOptions {
  uint64_t seed = 1;
  int processes = 5;  // concurrent clients at any time
  int keys = 1;       // 1: operations carry no key; otherwise keys "0".."keys-1"
  int64_t ops = 100;  // operations invoked (events = about twice this)
  double read_share = 0.5;
  double write_share = 0.3;    // the rest are cas
  double info_share = 0.0;     // an operation's client crashes: info (or open at the end)
  double fail_share = 0.0;     // an operation is refused: fail, no effect
  int values = 5;              // writes draw from [0, values); 0 = every write a fresh value
  int64_t max_duration = 100;  // an operation lasts 1..max_duration time units
  int64_t max_think = 20;      // a client waits 0..max_think between operations
  // kv model instead (get / put / append over strings): reads become gets, writes puts of
  // "v", cas ops appends of "v,".
  bool kv = false;
};

// A linearizable history (the simulated register is linearizable by construction).
History GenerateRegisterHistory(const GenOptions& options);

// Plants a stale read: an ok read that returns x although, in real time, x's write completed,
// then another ok write of a different value completed, and only then the read began. With fresh
// values (GenOptions::values = 0) the result is certainly not linearizable. `lost_write` picks a
// read that returned the later write's value (that write is then "lost"). Returns false when the
// history has no such triple.
bool InjectStaleRead(History* history, Rng& rng, bool lost_write = false);

// Writes a history as JSONL (docs/FORMAT.md), events in order.
std::string HistoryToJsonl(const History& history);

}  // namespace splitbrain::checker

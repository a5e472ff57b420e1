// A brute-force linearizability checker for the register model, for differential tests only:
// tries every order of the whole history (all keys at once, no partitioning, no pruning beyond
// remembering visited (placed-set, state) pairs). Exponential; meant for at most ~14 operations.
#pragma once

#include "records/history.h"

namespace splitbrain::checker {

// The checkers read the records' types (records/history.h) under their own names.
using records::History;
using records::HistoryBuilder;
using records::Operation;
using records::Outcome;

// True when some order of all ok operations plus any subset of the info ones respects real time
// and the register model (per key, initial value null) accepts every ok result.
bool BruteForceLinearizable(const History& history);
// The same for the kv model (get / put / append, strings, initially "").
bool BruteForceLinearizableKv(const History& history);

}  // namespace splitbrain::checker

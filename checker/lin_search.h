// The linearizability search for one key: Wing & Gong's algorithm with Lowe's memoization, as
// Porcupine does it, plus what makes it finish on long and indeterminate histories:
//  - a configuration is memoized as (P, the linearized ops after P, state), where P is the first
//    ok operation not yet linearized: its size depends on concurrency, not on history length;
//  - indeterminate (info) operations with the same effect are interchangeable: the search only
//    uses them in call order, and a configuration that has left more of them open dominates one
//    that has left fewer (an info operation need never be linearized). The memo keeps only the
//    open ones that can still matter: invoked before the first pending return and (register)
//    writing a value something not yet linearized needs — not a count per kind;
//  - an info operation is only linearized when it changes the state, and (register) only when
//    the next operation observes its value;
//  - (register) a state that no op left needs is dead: the memo keys every dead state as one
//    (the dead-state rule, lin_search.cc), so the orders of writes nobody reads collapse;
//  - (register) the state never leaves a value that an ok read not yet linearized still needs
//    when no op left that writes it is invoked before that read returns (it would be stranded);
//  - (register) a value that only one op left can write, or that the state holds and nothing
//    left writes, is pinned: the register must hold it over a zone of real time, and a step
//    after which two pinned values' zones meet is refused (the pinned-zone rule, lin_search.cc);
//  - (register) a needed value that several ops left can write still has a zone when the
//    register must hold it between two of its needers that no writer left can come between
//    (the held-zone rule, lin_search.cc), checked with the pinned ones;
//  - the legal ok candidate that returns first is tried first (earliest deadline first).
//  - (register) when that has memoized SearchLimits::first_try configurations without an answer,
//    the search starts over with the dead-write rule: a write overwritten before anything
//    observed it is only placed where it could not have been placed later (lin_search.cc).
// Internal to checker/. One call per key; calls on different keys may run in parallel.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "checker/models.h"

namespace splitbrain::checker::internal {

struct SearchLimits {
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;
  int64_t max_memory = 0;                       // bytes over all keys; 0 = none
  std::atomic<int64_t>* memory_used = nullptr;  // shared by all keys' searches
  std::atomic<bool>* stop = nullptr;            // set by another key's verdict: give up
  // Register: configurations the first try may memoize before the search starts over with
  // the dead-write rule; 0: the rule from the start.
  uint64_t first_try = uint64_t{1} << 20;
  // Register: the pinned-zone rule (lin_search.cc); false only to measure without it.
  bool pinned_zones = true;
  // Register: the held-zone rule (lin_search.cc), zones for values with several writers left;
  // it acts only with pinned_zones. false only to measure without it.
  bool held_zones = true;
};

// kGaveUp: internal to lin_search.cc (a first try that stopped early); SearchKey never returns it.
enum class SearchVerdict { kValid, kInvalid, kTimeout, kMemory, kCancelled, kGaveUp };

struct SearchOutcome {
  SearchVerdict verdict = SearchVerdict::kCancelled;
  uint64_t configurations = 0;  // configurations memoized
  uint64_t zone_cuts = 0;       // steps refused by the pinned-zone rule (register)
  uint64_t held_cuts = 0;       // of them, those in which a held zone (lin_search.cc) took part
  int64_t peak_bytes = 0;
  // Invalid only: the deepest linearization found (indices into the key's ops, in order),
  // the operation that could not follow it (-1 if none was identified), the state after it.
  std::vector<uint32_t> prefix;
  int64_t blocking = -1;
  std::string state_text;
  std::string needed_text;
  // Set when the unique-value check (unique_values.h) decided instead of the search: why the
  // blocking operation cannot be placed, in words (then `prefix` is empty).
  std::string reason;
  bool unique_values = false;
  // Set when the search over read assignments (source_assignment.h) decided instead.
  bool assigned = false;
};

template <class Model>
SearchOutcome SearchKey(Model& model, std::vector<LinOp>& ops, const SearchLimits& limits);

// The instantiations live in lin_search.cc.
extern template SearchOutcome SearchKey<RegisterModel>(RegisterModel&, std::vector<LinOp>&,
                                                       const SearchLimits&);
extern template SearchOutcome SearchKey<KvModel>(KvModel&, std::vector<LinOp>&,
                                                 const SearchLimits&);
extern template SearchOutcome SearchKey<MutexModel>(MutexModel&, std::vector<LinOp>&,
                                                    const SearchLimits&);
extern template SearchOutcome SearchKey<SetModel>(SetModel&, std::vector<LinOp>&,
                                                  const SearchLimits&);

}  // namespace splitbrain::checker::internal

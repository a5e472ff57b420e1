// Generators (STYLE.md, after Jepsen): pure operation sources. Given a context (the time on the
// run's clock, the asking process, how many operations are in flight) a generator returns the
// next operation, "pending until T", or "exhausted". No threads, no sleeping, no clock: only the
// interpreter (harness/) owns real time, so generators are tested with synthetic contexts.
// Randomness comes from an Rng the caller forks from the run's seed. Not thread-safe: the
// interpreter serialises calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rng.h"

namespace splitbrain::workloads {

// An operation as invoked: history fields (docs/FORMAT.md). `value` is the invocation's value.
struct Op {
  std::string f;
  std::optional<std::string> key;
  nlohmann::json value;  // null when the operation takes no argument
};

struct Context {
  int64_t time_ns = 0;  // since the run began
  int64_t process = 0;  // the logical process asking
  int in_flight = 0;    // operations invoked and not yet completed, all processes
};

struct GenResult {
  enum Kind { kOp, kPending, kExhausted };
  Kind kind = kExhausted;
  Op op;                // kOp
  int64_t wake_ns = 0;  // kPending: ask again at or after this time
  static GenResult Of(Op op) { return {kOp, std::move(op), 0}; }
  static GenResult Pending(int64_t wake) { return {kPending, {}, wake}; }
  static GenResult Exhausted() { return {kExhausted, {}, 0}; }
};

class Generator {
 public:
  virtual ~Generator() = default;
  virtual GenResult Next(const Context& ctx) = 0;
};
using GenPtr = std::unique_ptr<Generator>;

// An endless source: each call draws an op from `fn`.
GenPtr FromFn(std::function<Op(Rng&, const Context&)> fn, Rng rng);
// Each call picks one of the generators by weight (exhausted ones drop out).
GenPtr Mix(std::vector<std::pair<double, GenPtr>> weighted, Rng rng);
// At most `n` operations.
GenPtr Limit(int64_t n, GenPtr g);
// No operation at or after `end_ns` (since the run began): exhausted from then on.
GenPtr TimeLimit(int64_t end_ns, GenPtr g);
// Spaces operations out: after each one the next is due a uniform [0, 2*mean_ns) later, so the
// mean rate over all processes is 1/mean (Jepsen's stagger).
GenPtr Stagger(int64_t mean_ns, GenPtr g, Rng rng);

// A span of the run's time [start_ns, end_ns).
struct Window {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};
// Stagger, with operations `factor` times as frequent inside `bursts` (mean gap mean_ns/factor
// there): traffic concentrated where faults begin and end (plans/README.md, workload.burst).
GenPtr Stagger(int64_t mean_ns, GenPtr g, Rng rng, std::vector<Window> bursts, double factor);
// One after the other; the next phase starts once the previous one is exhausted and every
// operation it started has completed.
GenPtr Phases(std::vector<GenPtr> phases);
// These operations, once each, in order.
GenPtr Once(std::vector<Op> ops);

}  // namespace splitbrain::workloads

// Why this decides linearizability (one key, values unique):
//  1. Which operations took effect. An ok operation did. A value some such operation observes
//     (a read's result, a cas's expected value) was written by exactly one operation, which
//     therefore took effect too; closing over this gives the `needed` operations. Every other
//     (info) operation can be left out: what the needed ones observe is written by needed ones.
//  2. Clusters and chains. The register holds each needed value over one contiguous stretch of
//     the linearization: its writer, then the reads of it, then the operation that replaces it.
//     A cas expecting v replaces v, so its cluster follows v's at once: clusters form chains that
//     start at the initial value or at a plain write, each chain contiguous and in a fixed order.
//     Two cas ops replacing one value, a cas cycle, or a value nobody writes: not linearizable.
//  3. Placing chains in time. Each operation's point lies between its call and return. In a
//     chain whose earliest return (minRet) precedes its latest call (maxCall), the chain occupies
//     at least [minRet, maxCall] (a forward zone), and if it fits at all it fits inside it
//     (clamping each point into the zone keeps the order and the intervals). Forward zones must
//     be disjoint; the initial value's chain comes first (its zone starts at -infinity). Any
//     other chain fits in one instant of (maxCall, minRet), which must not lie wholly inside one
//     forward zone. A chain's own order is checked by placing each operation as early as it can.
//  These conditions are necessary, and the placement they describe is a linearization.
#include "checker/unique_values.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

namespace splitbrain::checker::internal {

namespace {

constexpr int64_t kMinusInfinity = std::numeric_limits<int64_t>::min();
constexpr int64_t kNeverReturns = std::numeric_limits<int64_t>::max();


// A value's stretch: the op that wrote it (-1: the initial value), its reads, its successor.
struct Cluster {
  int32_t writer = -1;
  uint32_t value = 0;
  std::vector<int32_t> reads;
  int32_t next = -1;  // the cluster whose writer (a cas) replaces this value
};

struct Zone {
  int64_t from, to;  // positions: from a return (or -infinity) to a call
  int32_t chain;
};

class UniqueValues {
 public:
  UniqueValues(const ValueTable& values, uint32_t initial, const std::vector<LinOp>& ops)
      : values_(values), initial_(initial), ops_(ops) {}

  std::optional<SearchOutcome> Run() {
    std::unordered_map<uint32_t, int32_t> writer_of;
    writer_of.reserve(ops_.size());
    for (size_t i = 0; i < ops_.size(); ++i) {
      const LinOp& op = ops_[i];
      if (op.kind == RegisterModel::kRead) continue;
      const uint32_t v = op.kind == RegisterModel::kWrite ? op.a : op.b;
      if (v == initial_ || !writer_of.emplace(v, static_cast<int32_t>(i)).second) {
        return std::nullopt;  // not unique: the search decides
      }
    }
    out_.verdict = SearchVerdict::kValid;
    out_.unique_values = true;
    if (!Needed(writer_of)) return out_;
    if (!BuildChains()) return out_;
    if (!PlaceChains()) return out_;
    out_.peak_bytes = static_cast<int64_t>(ops_.size() * 48 + clusters_.size() * 64);
    return out_;
  }

 private:
  bool Invalid(int32_t blocking, std::string needed, std::string reason) {
    out_.verdict = SearchVerdict::kInvalid;
    out_.blocking = blocking;
    out_.needed_text = std::move(needed);
    out_.reason = std::move(reason);
    return false;
  }
  const std::string& Text(uint32_t v) const { return values_.texts[v]; }
  // The value op i must find in the register (reads and cas), kNoValue for a write.
  uint32_t Observed(const LinOp& op) const {
    if (op.kind == RegisterModel::kRead) return op.out;
    if (op.kind == RegisterModel::kCas) return op.a;
    return kNoValue;
  }
  uint32_t Written(const LinOp& op) const {
    return op.kind == RegisterModel::kWrite ? op.a
           : op.kind == RegisterModel::kCas ? op.b
                                            : kNoValue;
  }

  // Step 1: the operations that certainly took effect.
  bool Needed(const std::unordered_map<uint32_t, int32_t>& writer_of) {
    needed_.assign(ops_.size(), false);
    std::vector<int32_t> todo;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].required) {
        needed_[i] = true;
        todo.push_back(static_cast<int32_t>(i));
      }
    }
    while (!todo.empty()) {
      const int32_t i = todo.back();
      todo.pop_back();
      const uint32_t v = Observed(ops_[i]);
      if (v == kNoValue || v == initial_) continue;
      auto it = writer_of.find(v);
      if (it == writer_of.end()) {
        return Invalid(i, Text(v),
                       OpName(ops_[i]) + " needs the value " + Text(v) +
                           ", which no operation writes and which is not the initial value");
      }
      if (!needed_[it->second]) {
        needed_[it->second] = true;
        todo.push_back(it->second);
      }
    }
    return true;
  }

  // Step 2: clusters and chains.
  bool BuildChains() {
    std::unordered_map<uint32_t, int32_t> cluster_of;  // value -> cluster
    clusters_.push_back({-1, initial_, {}, -1});
    cluster_of[initial_] = 0;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!needed_[i] || ops_[i].kind == RegisterModel::kRead) continue;
      cluster_of[Written(ops_[i])] = static_cast<int32_t>(clusters_.size());
      clusters_.push_back({static_cast<int32_t>(i), Written(ops_[i]), {}, -1});
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!needed_[i]) continue;
      const LinOp& op = ops_[i];
      if (op.kind == RegisterModel::kRead) {
        clusters_[cluster_of.at(op.out)].reads.push_back(static_cast<int32_t>(i));
      } else if (op.kind == RegisterModel::kCas) {
        Cluster& from = clusters_[cluster_of.at(op.a)];
        if (from.next >= 0) {
          const LinOp& other = ops_[clusters_[from.next].writer];
          return Invalid(static_cast<int32_t>(i), Text(op.a),
                         OpName(op) + " and " + OpName(other) + " both replace " + Text(op.a) +
                             " by cas; with unique values " + Text(op.a) +
                             " is in the register only once, so only one of them can");
        }
        from.next = cluster_of.at(Written(op));
      }
    }
    std::vector<bool> reached(clusters_.size(), false);
    for (size_t c = 0; c < clusters_.size(); ++c) {
      const bool start = c == 0 || ops_[clusters_[c].writer].kind == RegisterModel::kWrite;
      if (!start) continue;
      chains_.emplace_back();
      for (int32_t x = static_cast<int32_t>(c); x >= 0; x = clusters_[x].next) {
        reached[x] = true;
        chains_.back().push_back(x);
      }
    }
    for (size_t c = 0; c < clusters_.size(); ++c) {
      if (reached[c]) continue;
      const LinOp& op = ops_[clusters_[c].writer];
      return Invalid(clusters_[c].writer, Text(op.a),
                     OpName(op) +
                         " is on a cycle of cas operations, each expecting the value "
                         "the previous one writes: none of them can go first");
    }
    return true;
  }

  // Step 3: each chain's own order, then the chains in time.
  bool PlaceChains() {
    std::vector<Zone> forward;
    struct Backward {
      int64_t lo, hi;
      int32_t chain;
    };
    std::vector<Backward> backward;
    min_ret_op_.assign(chains_.size(), -1);
    max_call_op_.assign(chains_.size(), -1);
    for (size_t k = 0; k < chains_.size(); ++k) {
      int64_t p = kMinusInfinity;  // the earliest point the chain can have reached
      int32_t p_op = -1;           // whose invocation set it
      int64_t min_ret = kNeverReturns, max_call = kMinusInfinity;
      auto visit = [&](int32_t i) {
        const LinOp& op = ops_[i];
        if (op.ret < min_ret) {
          min_ret = op.ret;
          min_ret_op_[k] = i;
        }
        if (op.call > max_call) {
          max_call = op.call;
          max_call_op_[k] = i;
        }
      };
      for (int32_t c : chains_[k]) {
        const Cluster& cl = clusters_[c];
        if (cl.writer >= 0) {
          const LinOp& w = ops_[cl.writer];
          visit(cl.writer);
          if (p > w.ret) return Order(cl.writer, p_op);
          if (w.call > p) {
            p = w.call;
            p_op = cl.writer;
          }
        }
        int64_t after = p;
        int32_t after_op = p_op;
        for (int32_t r : cl.reads) {
          const LinOp& op = ops_[r];
          visit(r);
          if (p > op.ret) return Order(r, p_op);
          if (op.call > after) {
            after = op.call;
            after_op = r;
          }
        }
        p = after;
        p_op = after_op;
      }
      const bool first = k == 0;                          // chains_[0] starts at the initial value
      if (first && max_call == kMinusInfinity) continue;  // nothing observed it
      if (first || min_ret < max_call) {
        forward.push_back({first ? kMinusInfinity : min_ret, max_call, static_cast<int32_t>(k)});
      } else {
        backward.push_back({max_call, min_ret, static_cast<int32_t>(k)});
      }
    }
    std::sort(forward.begin(), forward.end(),
              [](const Zone& a, const Zone& b) { return a.from < b.from; });
    for (size_t z = 1; z < forward.size(); ++z) {
      if (forward[z].from < forward[z - 1].to) return Overlap(forward[z - 1], forward[z]);
    }
    for (const Backward& b : backward) {
      // The only forward zone that could cover (lo, hi): the last one starting before lo.
      auto it = std::upper_bound(forward.begin(), forward.end(), b.lo,
                                 [](int64_t lo, const Zone& z) { return lo < z.from; });
      if (it == forward.begin()) continue;
      const Zone& z = *(it - 1);
      if (z.to > b.hi) return Covered(b.lo, b.hi, b.chain, z);
    }
    return true;
  }

  std::string ChainText(int32_t k) const {
    const std::vector<int32_t>& chain = chains_[k];
    std::string t = k == 0 ? "the initial value " + Text(clusters_[chain[0]].value)
                           : "the value " + Text(clusters_[chain[0]].value);
    if (chain.size() > 1) t += " (and the values the cas ops after it write)";
    return t;
  }
  std::string Span(int32_t k) const {
    const LinOp& from = ops_[min_ret_op_[k]];
    const LinOp& to = ops_[max_call_op_[k]];
    return (k == 0 ? std::string("from the start") : "from the return of " + OpName(from)) +
           " to the invocation of " + OpName(to);
  }
  bool Order(int32_t late, int32_t early) {
    const LinOp& op = ops_[late];
    const std::string needed = op.kind == RegisterModel::kWrite ? "any value" : Text(Observed(op));
    return Invalid(late, needed,
                   OpName(op) + " returned before " + OpName(ops_[early]) +
                       " was invoked, yet must come after it: with unique values the order of "
                       "writes, reads and cas ops of one value chain is forced");
  }
  bool Overlap(const Zone& a, const Zone& b) {
    const int32_t blocking = min_ret_op_[b.chain];
    const LinOp& op = ops_[blocking];
    const std::string needed = op.kind == RegisterModel::kWrite ? "any value" : Text(Observed(op));
    out_.state_text = Text(clusters_[chains_[a.chain].back()].value);
    return Invalid(blocking, needed,
                   ChainText(a.chain) + " must be in the register " + Span(a.chain) + ", and " +
                       ChainText(b.chain) + " " + Span(b.chain) +
                       ": those times overlap, and a register holds one value at a time");
  }
  bool Covered(int64_t, int64_t, int32_t k, const Zone& z) {
    const int32_t blocking = max_call_op_[k];
    const LinOp& op = ops_[blocking];
    const std::string needed = op.kind == RegisterModel::kWrite ? "any value" : Text(Observed(op));
    out_.state_text = Text(clusters_[chains_[z.chain].back()].value);
    return Invalid(blocking, needed,
                   ChainText(k) + " can only be in the register between the invocation of " +
                       OpName(op) + " and the return of " + OpName(ops_[min_ret_op_[k]]) +
                       ", and all that time " + ChainText(z.chain) + " must be (" + Span(z.chain) +
                       ")");
  }

  const ValueTable& values_;
  const uint32_t initial_;
  const std::vector<LinOp>& ops_;
  std::vector<bool> needed_;
  std::vector<Cluster> clusters_;                  // [0]: the initial value
  std::vector<std::vector<int32_t>> chains_;       // cluster ids in order; [0] starts at [0]
  std::vector<int32_t> min_ret_op_, max_call_op_;  // per chain
  SearchOutcome out_;
};

}  // namespace

std::optional<SearchOutcome> CheckUniqueValues(const ValueTable& values, uint32_t initial,
                                               const std::vector<LinOp>& ops) {
  return UniqueValues(values, initial, ops).Run();
}

}  // namespace splitbrain::checker::internal

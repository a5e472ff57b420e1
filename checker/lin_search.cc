#include "checker/lin_search.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

// The dead-write rule (register; issue 20). A blind write is a write that needs no value (not a
// cas). In a linearization, a run is a maximal stretch of consecutive blind writes; an ok blind
// write that is not last in its run is dead (overwritten before anything observed it).
//
// Claim: if a history is linearizable, some linearization L is canonical: for every dead write d
// whose run R is followed (after the ops that observe R's last write) by another run R', some op
// between d and the first write W2 of R' was invoked after d returned.
// Proof: take any linearization. If a dead d has no such op, move d to just before W2. Real time
// still holds: every op d passes was invoked before d returned, so none had to follow d. The
// sequence is still legal: the op before d's old place is now followed by the next write of R,
// a blind write, which is legal in any state and leaves the same state as before; d just before
// W2 is legal in any state and W2 overwrites it. R keeps its last write, so no run disappears,
// and d's run index grows by one: the sum of the writes' run indices grows with every move and
// is bounded, so the moves stop, at a canonical linearization.
//
// The search keeps the rule with two numbers: owed, the latest return among the dead writes of
// the current stretch still without such a witness (as an op index: after_ret), and last_blind,
// the return of the last op when it is an ok blind write (the next blind write kills it). A blind
// write that opens a new run while something is owed is refused; the end of the history pays
// everything (a dead write of the last run has no W2). Both numbers are in the memo key.
// A read forced first (below) could split a run and make its write the last of a run: it is
// only forced when that cannot leave a debt unpaid (nothing owed, the last op no blind write, or
// the read itself pays). That the other shortcuts (forced reads, twins, info groups) still leave
// a canonical linearization to find is argued, not proven: moving a dead write later never
// needs an earlier witness, and a twin that returns earlier needs no later one; refusing to
// strand a read's value only cuts states from which no linearization exists, and EDF only
// orders siblings. DifferentialTest.DeadWriteRuleAgreesWithBruteForce (linearizable_test.cc),
// which runs the rule from the start against the brute force, is the check on that argument.
// The rule is not free: it keeps the search from the linearization that EDF order heads for,
// so SearchKey first searches without it (most histories are decided there) and starts over
// with it only after SearchLimits::first_try configurations.

// The dead-state rule (register; issue 20). A value is dead in a configuration when no operation
// not yet linearized (ok) or used (info) needs it: no read of it, no cas expecting it. The memo
// keys every configuration whose state is dead with one state, kDeadState, so that two with
// the same linearized ops, open info ops, flag and dead-write debts but different dead states
// are one configuration. The orders of concurrent writes nobody reads (their values, once split
// by read sources, are dead as soon as they are written) collapse. Measured (issue 20): 50
// processes, values 0-999, 10% crashed clients: 59.5 MB of memo became 45.5 MB, half the CPU;
// it does not decide the 100-process histories (checker/README.md).
// Claim: from two such configurations C1 (state x) and C2 (state y), both dead, the same
// sequences of further steps complete a linearization. Proof: every step the search takes from
// a configuration depends on the state only through (a) whether an op may follow: a read or a
// cas needs its value v, and v is needed by an op left, so v != x and v != y: illegal in both;
// a write is legal in both and leaves the same state; (b) stranded_by_leaving(state): a value
// no op needs strands nothing (-1 in both); (c) an info write is refused when it would not
// change the state: an info write of x refused in C1 is allowed in C2 but leaves the dead x
// with the flag set, after which only an op that observes x may follow — none is left, so
// that branch completes nothing; the steps that complete are the same in both. The dead-write
// rule's numbers, P, the linearized set, the flag and the open info ops are in the key as
// before. So a configuration equal to a seen one up to its dead state has been (or is being)
// explored with the same outcome, and skipping it loses no linearization: a valid history is
// still found valid (a valid verdict is a linearization found, sound whatever the memo does).
// Test: DifferentialTest.DeadStateRuleAgreesWithBruteForce (linearizable_test.cc).

// The pinned-zone rule (register; issue 20). Positions are the search's event list: calls and
// returns in time order, a return before a call at the same time; ok op j cannot precede ok op i
// when i returns before j is invoked, and an info op never returns. A completion of a
// configuration C (state s, the ops left) is an order of every ok op left and some unused info
// ops that the register accepts from s and that respects real time among them. Along it there
// are points p(o), reals strictly between o's call and return positions, increasing (each op just
// after the latest call among it and the ops before it: none of those calls follows its return).
// A value v is pinned in C when some ok op left needs it (N_v: ok reads of v, ok cas expecting
// v, not yet linearized) and either (i) s == v and no op left (ok, or info unused) writes v, or
// (ii) s != v and exactly one op left, w, writes v. Its zone is [from, to]: to is the latest call
// in N_v (and w's), from is -infinity in (i) and the earliest return in N_v and w in (ii).
// Claim: in any completion of C, two distinct pinned values u and v have zones that do not meet
// (u.to < v.from or v.to < u.from). Proof: v's block in the completion is, in (i), the start
// (a virtual first position holding s) through the last op of N_v: nothing before that may change
// the state, since nothing left can bring v back; in (ii), w through the last op of N_v: every op
// of N_v needs v, only w can write it, and after w nothing may change the state before the last
// of them. The state after every position of a block but its last is the block's value. So two
// blocks of u != v share no two positions (the state after the first of them would be u and v),
// and a shared position is the last of one block and the first of the other (a cas from one
// value to the other; a block of one position would be a w that needs its own value, or an
// empty N_v). So one block ends where or before the other begins, say u's: u.to is the call of
// an op a of u's block and v.from the return of an op b of v's, and u.to < p(a) <= p(b) < v.from.
// (v.from = -infinity only in (i), where v's block holds the first position, so it comes first.)
// Second claim: no ok op o left outside N_v and other than w is invoked after v.from and returns
// before v.to. Proof: the ops b and a above are in v's block, p(first) <= p(b) < v.from < p(o) <
// v.to < p(a) <= p(last): o would be strictly inside the block, where an op neither changes the
// state nor needs another value, so o would be a read of v (in N_v) or a write of v (w).
// So a step to a configuration in which two pinned zones meet, or a zone holds such an op,
// leads to no linearization; the
// search refuses it (zone_conflict), as it refuses a step that strands a read. That loses no
// linearization of any form (canonical for the dead-write rule or not), and the memo's arguments
// are untouched: a dead state is needed by nothing, so it is never pinned and pins nothing (s !=
// v for every v some op needs), and the rule decides the same in two configurations the memo
// keys as one; info dominance is about completions, which the rule only cuts where none exists.
// The check after a step that writes compares the zones of the values that step can pin or move
// (the old and the new state) with each other and with those of the values the open ops write
// or need (invoked before the first pending return); a read pins nothing and only shrinks a zone.
// Which pairs are checked changes only what is cut, never what is kept: every cut rests on the
// claim.
// Test: DifferentialTest.PinnedZoneRuleAgreesWithBruteForce (linearizable_test.cc).

// The held-zone rule (register; issue 20, session 15): zones for values that several ops left
// can write, which the pinned-zone rule leaves alone (an info write stays a writer left until it
// is used, so with crashed clients few values were pinned). Same positions, completions and
// points p(o) as above; N_v as above, W_v the ops left (ok, or info unused) that write v, b the
// op of N_v that returns first. The zone of v (checked where the pinned-zone rule's is, with
// the same claims) is, in the first case that applies:
//  (iii) s == v and some a in N_v returns before every op of W_v is invoked (the latest invoked
//        such a): [-infinity, call(a)];
//  (iv)  s != v, w1 the op of W_v invoked first, c2 the call of the second (+infinity if none),
//        ret(b) < c2: S = the ops of N_v that return before c2, a the latest invoked of them,
//        [min(ret(b), ret(w1)), max(call(a), call(w1))] (ret(w1) only when w1 is ok);
//  (v)   some a in N_v is invoked after b returns and no op of W_v is invoked before a returns
//        and returns after b is invoked (the latest invoked such a): [ret(b), call(a)].
// Claim: in any completion, the state is v after every position from the zone's block's first
// through the one before its last, where the block is (iii) the virtual first position (holding
// s) through p(a), (iv) p(w1) through the last op of S, (v) p(b) through p(a); and the zone's
// from is the return of an op of its block (or -infinity, block first), its to the call of one.
// Proof: (v): a needs v, so the state before p(a) is v; if it were not v after some position q
// with p(b) <= q < p(a), the last such q is followed by an op that writes v, at a position
// strictly between p(b) and p(a), so it is in W_v, invoked before p(a) < ret(a) and returning
// after p(b) > call(b): there is none. (iii): the same from the virtual first position, whose
// state s is v; a writer before p(a) is invoked before ret(a): none is. (iv): every op of S
// needs v and s != v, so some op of W_v precedes it, invoked before it returns (< c2): only
// w1 is. No other op of W_v precedes any op of S (each is invoked at or after c2, after every op
// of S returns), so after w1 writes v nothing can write v again before the last op of S, and
// the state stays v (else that op would find another value). The froms and tos: ret(b) and
// ret(w1) are returns of block ops, call(a) and call(w1) calls of block ops.
// A block of v in this sense is what the pinned-zone rule's proof uses: two blocks of distinct
// values share at most one position, the last of one and the first of the other (two shared
// positions, or a shared position that is the last of neither block, would hold both values;
// every block has at least two positions), so one comes first and its to < the other's from, as
// there. And no ok op left outside N_v lies in a zone (invoked after from, returning before to):
// its point would be strictly inside the block, where the state before and after it is v, so
// it reads v or cas v to v (in N_v) or writes v — in W_v, and (v) and (iii) exclude a writer
// there; in (iv) it could only be w1 (the others are invoked after c2 > to), which is excluded
// as the pinned-zone rule excludes w. So a step after which two zones (of either rule) meet, or
// a zone holds such an op, leads to no completion and is refused; like the pinned-zone rule it
// cuts only configurations without a completion, and it reads the state only as s == v for a
// value some op needs, so the memo's arguments stand. (iv) is the pinned-zone rule's (ii) with
// the needers narrowed to S; with one writer left it is (ii) itself.
// Test: DifferentialTest.HeldZoneRuleAgreesWithBruteForce (linearizable_test.cc).

namespace splitbrain::checker::internal {

std::string QuoteJson(const std::string& s) { return nlohmann::json(s).dump(); }

namespace {

// The memo's one state for every dead value (the dead-state rule, top of file); no value id
// reaches it (ids are dense, kNoValue is the largest uint32_t).
constexpr uint32_t kDeadState = kNoValue - 1;

inline uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// Memo of visited configurations: a hash set of (base, open) where `base` is the exact encoding
// of (P, state, flag, window bits) and `open` the info ops still usable that matter, by index,
// ascending (below). A configuration is skipped when one with the same base and a superset of
// its open info ops was seen: more info ops left to use can only help (an info op need never
// be linearized). The open list replaces a count per group of interchangeable info ops, which
// every configuration carried: 250 groups made 500 bytes a configuration (issue 20).
class Memo {
 public:
  Memo() : slots_(1024) {}

  // True when the configuration is new (not dominated); it is then recorded.
  bool Insert(const uint64_t* base, uint32_t base_len, const std::vector<uint32_t>& open) {
    uint64_t h = 0x9E3779B97F4A7C15ull * (base_len + 1);
    for (uint32_t i = 0; i < base_len; ++i) h = Mix(h ^ base[i]) + i;
    h |= 1;  // 0 marks an empty slot
    size_t mask = slots_.size() - 1;
    size_t i = (h >> 7) & mask;
    for (; slots_[i].hash != 0; i = (i + 1) & mask) {
      if (slots_[i].hash != h) continue;
      const Entry& e = entries_[slots_[i].entry];
      if (e.base_len != base_len) continue;
      const uint64_t* stored = arena_.data() + e.offset;
      if (memcmp(stored, base, base_len * sizeof(uint64_t)) != 0) continue;
      // Dominated when every open op of the new one was open in the stored one.
      const uint32_t* so = reinterpret_cast<const uint32_t*>(stored + base_len);
      size_t k = 0;
      for (uint32_t j = 0; j < e.open_len && k < open.size(); ++j) {
        if (so[j] == open[k]) {
          ++k;
        } else if (so[j] > open[k]) {
          break;
        }
      }
      if (k == open.size()) return false;
    }
    slots_[i] = {h, static_cast<uint32_t>(entries_.size())};
    const uint32_t open_len = static_cast<uint32_t>(open.size());
    entries_.push_back({arena_.size(), base_len, open_len});
    arena_.insert(arena_.end(), base, base + base_len);
    for (uint32_t j = 0; j < open_len; j += 2) {
      arena_.push_back(open[j] | (j + 1 < open_len ? uint64_t{open[j + 1]} << 32 : 0));
    }
    max_words_ = std::max<size_t>(max_words_, base_len + (open_len + 1) / 2);
    if (entries_.size() * 2 > slots_.size()) Grow();
    return true;
  }
  size_t size() const { return entries_.size(); }
  int64_t Bytes() const {
    return static_cast<int64_t>(arena_.capacity() * 8 + entries_.capacity() * sizeof(Entry) +
                                slots_.capacity() * sizeof(Slot));
  }
  // What `inserts` more insertions may allocate on top of Bytes(): each array doubles when full
  // (the old one is freed only after the copy), so a budget checked only now and then must see
  // a doubling before it happens, not after (issue 20: a 1.5 GB budget peaked at 2.5 GB).
  int64_t GrowthWithin(size_t inserts) const {
    int64_t g = 0;
    if (arena_.size() + inserts * max_words_ > arena_.capacity()) {
      g += static_cast<int64_t>(std::max<size_t>(arena_.capacity(), 1024) * 2 * 8);
    }
    if (entries_.size() + inserts > entries_.capacity()) {
      g += static_cast<int64_t>(std::max<size_t>(entries_.capacity(), 1024) * 2 * sizeof(Entry));
    }
    if ((entries_.size() + inserts) * 2 > slots_.size()) {
      g += static_cast<int64_t>(slots_.size() * 2 * sizeof(Slot));
    }
    return g;
  }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0: empty
    uint32_t entry = 0;
  };
  struct Entry {
    uint64_t offset;  // into arena_: base words, then the open ops (two a word)
    uint32_t base_len;
    uint32_t open_len;
  };
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      size_t i = (s.hash >> 7) & mask;
      while (slots_[i].hash != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  size_t max_words_ = 1;  // the most words one configuration took
  std::vector<uint64_t> arena_;
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;
};

}  // namespace

// One search. dead_write_rule: the register's dead-write rule (top of file) on; give_up_after:
// configurations memoized before the search stops with kGaveUp (0: never).
template <class Model>
SearchOutcome SearchOnce(Model& model, std::vector<LinOp>& ops, const SearchLimits& limits,
                         bool dead_write_rule, uint64_t give_up_after) {
  SearchOutcome out;
  const bool pinned_zones = limits.pinned_zones;
  model.Bind(ops);
  const int32_t n = static_cast<int32_t>(ops.size());
  std::sort(ops.begin(), ops.end(), [](const LinOp& a, const LinOp& b) { return a.call < b.call; });

  // Groups of interchangeable info ops (same kind and arguments), each in call order.
  std::vector<int32_t> group(n, -1), pos_in_group(n, 0);
  uint32_t groups = 0;
  {
    std::map<std::tuple<uint8_t, uint32_t, uint32_t>, uint32_t> ids;
    std::vector<int32_t> sizes;
    for (int32_t i = 0; i < n; ++i) {
      if (ops[i].required) continue;
      auto [it, fresh] = ids.emplace(std::make_tuple(ops[i].kind, ops[i].a, ops[i].b), groups);
      if (fresh) {
        ++groups;
        sizes.push_back(0);
      }
      group[i] = static_cast<int32_t>(it->second);
      pos_in_group[i] = sizes[it->second]++;
    }
  }
  std::vector<int32_t> group_next(groups, 0);  // per group: how many are used

  // The event list: entries 1..2n in time order, head 0, tail 2n+1.
  int32_t required = 0;
  std::vector<std::pair<int64_t, int32_t>> events;  // (time, +op+1 call / -(op+1) return)
  events.reserve(2 * n);
  for (int32_t i = 0; i < n; ++i) {
    events.push_back({ops[i].call, i + 1});
    if (ops[i].required) {
      events.push_back({ops[i].ret, -(i + 1)});
      ++required;
    }
  }
  std::sort(events.begin(), events.end());
  const int32_t entries = static_cast<int32_t>(events.size());
  const int32_t head = 0, tail = entries + 1;
  std::vector<int32_t> next(entries + 2), prev(entries + 2), entry_op(entries + 2, -1);
  std::vector<uint8_t> is_call(entries + 2, 0);
  std::vector<int32_t> call_entry(n, -1), ret_entry(n, -1);
  for (int32_t e = 1; e <= entries; ++e) {
    int32_t code = events[e - 1].second;
    if (code > 0) {
      entry_op[e] = code - 1;
      is_call[e] = 1;
      call_entry[code - 1] = e;
    } else {
      entry_op[e] = -code - 1;
      ret_entry[-code - 1] = e;
    }
  }
  for (int32_t e = 0; e <= entries; ++e) {
    next[e] = e + 1;
    prev[e + 1] = e;
  }
  next[tail] = tail;
  prev[head] = head;
  auto remove = [&](int32_t e) {
    next[prev[e]] = next[e];
    prev[next[e]] = prev[e];
  };
  auto restore = [&](int32_t e) {
    next[prev[e]] = e;
    prev[next[e]] = e;
  };

  // Linearized ok ops as a bitset; P = first ok op not linearized; hi = last linearized ok op.
  std::vector<uint64_t> lin((n + 64) / 64 + 1, 0);
  auto first_required_from = [&](int32_t i) {
    while (i < n && (!ops[i].required || (lin[i >> 6] >> (i & 63) & 1))) ++i;
    return i;
  };
  int32_t P = first_required_from(0);
  int32_t hi = -1;
  int32_t owed = -1, last_blind = -1;  // the dead-write rule's state (below)

  Memo memo;
  std::vector<uint32_t> open;  // the memo key's open info ops (Memo)
  std::vector<uint64_t> key;
  key.reserve(64);
  auto build_key = [&](uint32_t state, bool flag) {
    key.clear();
    // One word for P (< 2^31: an op index), the flag and the state: a configuration takes 8
    // bytes less than with the state in a word of its own.
    const size_t head_words = dead_write_rule ? 2 : 1;
    key.push_back(static_cast<uint64_t>(static_cast<uint32_t>(P)) |
                  (static_cast<uint64_t>(flag) << 31) | (static_cast<uint64_t>(state) << 32));
    if (dead_write_rule) {
      key.push_back(static_cast<uint64_t>(static_cast<uint32_t>(owed + 1)) |
                    (static_cast<uint64_t>(static_cast<uint32_t>(last_blind + 1)) << 32));
    }
    // Bits P+1 .. hi, packed from bit 0.
    int32_t from = P + 1;
    if (hi >= from) {
      int32_t nbits = hi - from + 1;
      for (int32_t done = 0; done < nbits; done += 64) {
        int32_t bit = from + done;
        int32_t w = bit >> 6, s = bit & 63;
        uint64_t word = lin[w] >> s;
        if (s != 0) word |= lin[w + 1] << (64 - s);
        int32_t left = nbits - done;
        if (left < 64) word &= (uint64_t{1} << left) - 1;
        key.push_back(word);
      }
      while (key.size() > head_words && key.back() == 0) key.pop_back();
    }
  };

  struct Frame {
    int32_t op;
    uint32_t old_state;
    int32_t old_hi;
    bool old_flag;
    int32_t old_owed, old_last_blind;
    bool forced;   // the only child its node needed to try
    bool restart;  // tried out of list order: its siblings are scanned from the start
  };
  std::vector<Frame> stack;
  // The search tree's path, for the explanation: node k = (parent, op).
  std::vector<std::pair<uint32_t, uint32_t>> path(1, {0, 0});
  uint32_t cur_node = 0;

  uint32_t state = model.Init();
  bool flag = false;
  int32_t remaining = required;
  int32_t best_depth = -1;
  uint32_t best_node = 0, best_state = state;
  int64_t best_blocking = -1;
  int64_t reported_bytes = 0;
  uint64_t iterations = 0;

  auto account = [&]() -> SearchVerdict {
    int64_t bytes = memo.Bytes() +
                    static_cast<int64_t>(path.capacity() * 8 + stack.capacity() * sizeof(Frame)) +
                    static_cast<int64_t>(model.Bytes());
    out.peak_bytes = std::max(out.peak_bytes, bytes);
    int64_t total = bytes;
    if (limits.memory_used) {
      total = limits.memory_used->fetch_add(bytes - reported_bytes) + bytes - reported_bytes;
    }
    reported_bytes = bytes;
    // At most two configurations are memoized per iteration, 4096 iterations between checks.
    if (limits.max_memory > 0 && total + memo.GrowthWithin(2 * 4096) > limits.max_memory) {
      return SearchVerdict::kMemory;
    }
    if (limits.has_deadline && std::chrono::steady_clock::now() > limits.deadline) {
      return SearchVerdict::kTimeout;
    }
    if (limits.stop && limits.stop->load(std::memory_order_relaxed)) {
      return SearchVerdict::kCancelled;
    }
    if (give_up_after > 0 && memo.size() > give_up_after) return SearchVerdict::kGaveUp;
    return SearchVerdict::kValid;
  };
  auto finish = [&](SearchVerdict v) {
    out.verdict = v;
    out.configurations = memo.size();
    account();
    if (limits.memory_used) limits.memory_used->fetch_sub(reported_bytes);
    return out;
  };

  // Twins: the previous ok op (in call order) with the same effect and the same result. Of two
  // such candidates, linearizing the one that returns first dominates: skip the other.
  std::vector<int32_t> twin(n, -1);
  {
    std::map<std::tuple<uint8_t, uint32_t, uint32_t, uint32_t>, int32_t> last;
    for (int32_t i = 0; i < n; ++i) {
      if (!ops[i].required) continue;
      auto k = std::make_tuple(ops[i].kind, ops[i].a, ops[i].b, ops[i].out);
      auto it = last.find(k);
      if (it != last.end()) twin[i] = it->second;
      last[k] = i;
    }
  }
  auto linearized = [&](int32_t i) { return (lin[i >> 6] >> (i & 63) & 1) != 0; };

  // Dead writes deferred (issue 20, register): see DeadWriteRule at the top of this file.
  // after_ret[i]: the first op (in call order) invoked after ok op i returned; an op j witnesses
  // that i could not be deferred past it when j >= after_ret[i]. owed: the largest after_ret of
  // the dead writes still without a witness (-1: none); last_blind: after_ret of the last
  // linearized op when it is an ok blind write not yet observed (-1 otherwise).
  std::vector<int32_t> after_ret(n, n);
  for (int32_t i = 0; i < n; ++i) {
    if (!ops[i].required) continue;
    after_ret[i] = static_cast<int32_t>(
        std::upper_bound(ops.begin(), ops.end(), ops[i].ret,
                         [](int64_t t, const LinOp& op) { return t < op.call; }) -
        ops.begin());
  }
  auto blind_write = [](const LinOp& op) {
    return Model::WrittenValue(op) != kNoValue && Model::NeededValue(op) == kNoValue;
  };

  // Register (Model::kValuesAreStates): leaving the state y is refused while an ok read of y (or
  // an ok cas expecting y) not yet linearized could no longer find y again: no op not yet
  // linearized that writes y is invoked before that read returns. Per value: its ok reads and
  // cas by return, its writers (ok or info) by call, each with the first not yet linearized.
  std::vector<uint8_t> used;  // per op: linearized (ok) or used (info)
  // Per value: the ops that need it (ok reads and cas, info cas) not yet linearized or used.
  // An unused info op whose value none of them needs can never be used (it must be observed
  // at once): it is left out of the memo's open list, as if used (Memo).
  std::vector<int32_t> live_needers;
  std::vector<std::vector<int32_t>> needers, writers;
  std::vector<uint32_t> needer_lo, writer_lo;
  // The pinned-zone rule (top of file). Per value: its writers not yet used (ok or info) and its
  // ok needers not yet linearized, counted; its ok needers by call, with one past the last that
  // may be unused (rescanned after an undo).
  std::vector<int32_t> unused_writers, ok_needers;
  std::vector<std::vector<int32_t>> needers_by_call;
  std::vector<uint32_t> needer_hi;
  if constexpr (Model::kValuesAreStates) {
    uint32_t values = model.Init() + 1;
    for (const LinOp& op : ops) {
      for (uint32_t v : {op.a, op.b, op.out}) {
        if (v != kNoValue) values = std::max(values, v + 1);
      }
    }
    used.assign(n, 0);
    live_needers.assign(values, 0);
    needers.resize(values);
    writers.resize(values);
    needer_lo.assign(values, 0);
    writer_lo.assign(values, 0);
    for (int32_t i = 0; i < n; ++i) {  // ops are in call order
      const uint32_t w = Model::WrittenValue(ops[i]);
      if (w != kNoValue) writers[w].push_back(i);
      const uint32_t need = Model::NeededValue(ops[i]);
      if (ops[i].required && need != kNoValue) needers[need].push_back(i);
      if (need != kNoValue) live_needers[need]++;
    }
    needers_by_call = needers;  // ops are in call order (and call_entry ascends with the index)
    unused_writers.assign(values, 0);
    ok_needers.assign(values, 0);
    needer_hi.assign(values, 0);
    for (uint32_t v = 0; v < values; ++v) {
      unused_writers[v] = static_cast<int32_t>(writers[v].size());
      ok_needers[v] = static_cast<int32_t>(needers[v].size());
      needer_hi[v] = static_cast<uint32_t>(needers[v].size());
    }
    for (auto& list : needers) {
      std::sort(list.begin(), list.end(),
                [&](int32_t x, int32_t y) { return ops[x].ret < ops[y].ret; });
    }
  }
  auto count_needer = [&](int32_t i, int delta) {
    if constexpr (Model::kValuesAreStates) {
      const uint32_t need = Model::NeededValue(ops[i]);
      if (need != kNoValue) live_needers[need] += delta;
    }
    (void)i;
    (void)delta;
  };
  // The state as the memo sees it (register): a value that no op left needs (no ok read or cas
  // not yet linearized, no info cas not yet used, expects it) is dead, and all dead values are
  // one state to the memo (the dead-state rule at the top of the file).
  auto memo_state = [&](uint32_t s) -> uint32_t {
    if constexpr (Model::kValuesAreStates) {
      if (s < live_needers.size() && live_needers[s] == 0) return kDeadState;
    }
    return s;
  };
  // The open info ops of the configuration reached by linearizing `pushed`: those in the event
  // list before the first return of an ok op not yet linearized (the others are unused in every
  // configuration with the same base), and (register) whose value something still needs.
  auto build_open = [&](int32_t pushed) {
    open.clear();
    for (int32_t e = next[head]; e != tail; e = next[e]) {
      const int32_t j = entry_op[e];
      if (j == pushed) continue;
      if (!is_call[e]) break;
      if (ops[j].required) continue;
      if constexpr (Model::kValuesAreStates) {
        if (live_needers[Model::WrittenValue(ops[j])] == 0) continue;
      }
      open.push_back(static_cast<uint32_t>(j));
    }
  };
  auto mark_used = [&](int32_t i, bool on) {
    if constexpr (Model::kValuesAreStates) {
      used[i] = on;
      const LinOp& op = ops[i];
      const uint32_t w = Model::WrittenValue(op);
      const uint32_t need = Model::NeededValue(op);
      const int32_t d = on ? -1 : 1;
      if (w != kNoValue) unused_writers[w] += d;
      if (op.required && need != kNoValue) ok_needers[need] += d;
      if (on) return;
      if (w != kNoValue) writer_lo[w] = 0;  // rescanned lazily
      if (op.required && need != kNoValue) {
        needer_lo[need] = 0;
        needer_hi[need] = static_cast<uint32_t>(needers_by_call[need].size());
      }
    }
    (void)i;
    (void)on;
  };
  // The ok op that needs value y and would be stranded if the state left y now, or -1.
  auto stranded_by_leaving = [&](uint32_t y, int32_t leaving) -> int32_t {
    if constexpr (Model::kValuesAreStates) {
      if (y >= needers.size()) return -1;
      const auto& nl = needers[y];
      uint32_t& lo = needer_lo[y];
      while (lo < nl.size() && used[nl[lo]]) ++lo;
      // The op leaving y may be the one that needs it (a cas expecting y): the next one counts.
      uint32_t k = lo;
      while (k < nl.size() && (used[nl[k]] || nl[k] == leaving)) ++k;
      if (k >= nl.size()) return -1;
      const int32_t r = nl[k];
      const auto& wl = writers[y];
      uint32_t& wlo = writer_lo[y];
      while (wlo < wl.size() && used[wl[wlo]]) ++wlo;
      for (uint32_t j = wlo; j < wl.size() && ops[wl[j]].call < ops[r].ret; ++j) {
        if (!used[wl[j]]) return -1;
      }
      return r;
    }
    (void)y;
    (void)leaving;
    return -1;
  };

  // The pinned-zone rule (register; top of file). A value v is pinned in a configuration with
  // state s when an ok op not yet linearized needs it and either s == v and nothing left writes
  // v, or s != v and exactly one op left (ok or info) writes v. Its zone, in event-list
  // positions: from the earliest return among its writer and needers left (-infinity when
  // s == v: its stretch has begun) to the latest invocation among them. Two pinned values' zones
  // must not intersect. Positions: call_entry / ret_entry (an info op never returns).
  struct PinnedZone {
    uint32_t value = 0;
    int64_t from = 0, to = 0;
    int32_t from_op = -1;  // whose return `from` is (-1: the current state)
    int32_t to_op = -1;    // whose call `to` is
    int32_t writer = -1;   // (ii): the one op left that writes the value
    bool held = false;     // from the held-zone rule (several writers left)
  };
  // The held-zone rule (top of file): the zone (iii), (iv) or (v) of a needed value that the
  // pinned-zone rule does not pin. `gone`: used or being linearized. Scans at most kHeldScan
  // needers from the latest invoked (a bound on the cost only: any needer found gives a sound
  // zone, the latest one the widest).
  constexpr int kHeldScan = 32;
  auto held_zone = [&](uint32_t v, uint32_t s, auto gone, PinnedZone* z) -> bool {
    if constexpr (Model::kValuesAreStates) {
      if (!limits.held_zones) return false;
      const auto& nl = needers[v];
      uint32_t& lo = needer_lo[v];
      while (lo < nl.size() && used[nl[lo]]) ++lo;
      uint32_t k = lo;
      while (gone(nl[k])) ++k;  // an ok needer is left (checked by the caller)
      const int32_t b = nl[k];  // the needer left that returns first
      // Writers left in call order: the first one (it bounds the zone from now when s == v) and
      // the first that may follow b (ret after b's call; an info op never returns).
      const auto& wl = writers[v];
      uint32_t& wlo = writer_lo[v];
      while (wlo < wl.size() && used[wl[wlo]]) ++wlo;
      int64_t after_b = std::numeric_limits<int64_t>::max();
      int32_t w1 = -1;  // the first writer left
      int64_t second_call = std::numeric_limits<int64_t>::max();  // the second one's call
      for (uint32_t j = wlo; j < wl.size(); ++j) {
        const int32_t w = wl[j];
        if (gone(w)) continue;
        if (w1 < 0) {
          w1 = w;
        } else if (second_call == std::numeric_limits<int64_t>::max()) {
          second_call = call_entry[w];
        }
        if (after_b == std::numeric_limits<int64_t>::max() &&
            (ret_entry[w] < 0 || ret_entry[w] > call_entry[b])) {
          after_b = call_entry[w];
        }
        if (second_call != std::numeric_limits<int64_t>::max() &&
            after_b != std::numeric_limits<int64_t>::max()) {
          break;
        }
      }
      const int64_t first_call =
          w1 < 0 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(call_entry[w1]);
      // The needer left invoked last among those that return before `bound`, or -1.
      auto last_needer_before = [&](int64_t bound) -> int32_t {
        const auto& by_call = needers_by_call[v];
        uint32_t& h = needer_hi[v];
        while (h > 0 && used[by_call[h - 1]]) --h;
        int scanned = 0;
        for (uint32_t hk = h; hk > 0 && scanned < kHeldScan; --hk) {
          const int32_t a = by_call[hk - 1];
          if (gone(a)) continue;
          ++scanned;
          if (ret_entry[a] < bound) return a;
        }
        return -1;
      };
      z->value = v;
      z->writer = -1;
      z->held = true;
      if (s == v) {
        const int32_t a = last_needer_before(first_call);
        if (a >= 0) {
          z->from = std::numeric_limits<int64_t>::min();
          z->from_op = -1;
          z->to = call_entry[a];
          z->to_op = a;
          return true;
        }
      }
      if (s != v && w1 >= 0 && ret_entry[b] < second_call) {
        // (iv): the needers left that return before the second writer left is invoked can only
        // follow w1; the block runs from w1 to the last of them.
        int32_t a = last_needer_before(second_call);
        if (a < 0) a = b;
        z->from = ret_entry[b];
        z->from_op = b;
        if (ret_entry[w1] >= 0 && ret_entry[w1] < z->from) {
          z->from = ret_entry[w1];
          z->from_op = w1;
        }
        z->to = std::max(call_entry[a], call_entry[w1]);
        z->to_op = call_entry[a] > call_entry[w1] ? a : w1;
        z->writer = w1;
        return true;
      }
      const int32_t a = last_needer_before(after_b);
      if (a < 0 || call_entry[a] <= ret_entry[b]) return false;
      z->from = ret_entry[b];
      z->from_op = b;
      z->to = call_entry[a];
      z->to_op = a;
      return true;
    }
    (void)v;
    (void)s;
    (void)gone;
    (void)z;
    return false;
  };
  // `pushed`: the op being linearized, counted as used (it is not marked yet).
  auto pinned_zone = [&](uint32_t v, uint32_t s, int32_t pushed, PinnedZone* z) -> bool {
    if constexpr (Model::kValuesAreStates) {
      if (v >= ok_needers.size()) return false;
      const LinOp& p = ops[pushed];
      const bool pushed_needs = p.required && Model::NeededValue(p) == v;
      const bool pushed_writes = Model::WrittenValue(p) == v;
      if (ok_needers[v] - pushed_needs == 0) return false;
      auto gone = [&](int32_t x) { return used[x] || x == pushed; };
      if (unused_writers[v] - pushed_writes != (s == v ? 0 : 1)) {
        return held_zone(v, s, gone, z);
      }
      const auto& by_call = needers_by_call[v];
      uint32_t& h = needer_hi[v];
      while (h > 0 && used[by_call[h - 1]]) --h;
      uint32_t hk = h;
      while (gone(by_call[hk - 1])) --hk;  // an ok needer is left: the loop stops
      z->value = v;
      z->held = false;
      z->to = call_entry[by_call[hk - 1]];
      z->to_op = by_call[hk - 1];
      z->writer = -1;
      if (s == v) {
        z->from = std::numeric_limits<int64_t>::min();
        z->from_op = -1;
        return true;
      }
      const auto& nl = needers[v];
      uint32_t& lo = needer_lo[v];
      while (lo < nl.size() && used[nl[lo]]) ++lo;
      uint32_t k = lo;
      while (gone(nl[k])) ++k;
      z->from = ret_entry[nl[k]];
      z->from_op = nl[k];
      const auto& wl = writers[v];
      uint32_t& wlo = writer_lo[v];
      while (wlo < wl.size() && used[wl[wlo]]) ++wlo;
      uint32_t wk = wlo;
      while (gone(wl[wk])) ++wk;  // one writer is left
      const int32_t w = wl[wk];
      z->writer = w;
      if (ret_entry[w] >= 0 && ret_entry[w] < z->from) {
        z->from = ret_entry[w];
        z->from_op = w;
      }
      if (call_entry[w] > z->to) {
        z->to = call_entry[w];
        z->to_op = w;
      }
      return true;
    }
    (void)v;
    (void)s;
    (void)pushed;
    (void)z;
    return false;
  };
  auto zones_meet = [](const PinnedZone& x, const PinnedZone& y) {
    return !(x.to < y.from || y.to < x.from);
  };
  // Whether an ok op left, other than the zone's writer and the ops that need its value, was
  // invoked after the zone begins and returned before it ends (it would sit inside the value's
  // block).
  auto op_inside = [&](const PinnedZone& z, int32_t pushed) -> bool {
    int32_t e = z.from_op < 0 ? next[head] : ret_entry[z.from_op];
    for (; e != tail && e < z.to; e = next[e]) {
      if (is_call[e]) continue;
      const int32_t j = entry_op[e];
      if (j == pushed || j == z.writer || call_entry[j] <= z.from) continue;
      if (Model::NeededValue(ops[j]) == z.value) continue;
      return true;
    }
    return false;
  };
  // After op `pushed` (not yet marked used) took the state from `s` to `ns`: the zones of s and
  // ns against each other and against those of the values the open ops (invoked before the
  // first pending return) write or need. Returns an op that cannot be placed (of two zones that
  // meet, the one whose return starts the later zone), or -1.
  std::vector<uint32_t> zone_seen;
  uint32_t zone_stamp = 0;
  bool held_cut = false;  // the last conflict found involved a held zone
  auto zone_conflict = [&](uint32_t s, uint32_t ns, int32_t pushed) -> int32_t {
    if constexpr (Model::kValuesAreStates) {
      PinnedZone a, b, z;
      const bool has_a = pinned_zone(s, ns, pushed, &a);
      const bool has_b = ns != s && pinned_zone(ns, ns, pushed, &b);
      if (!has_a && !has_b) return -1;
      auto blocker = [&](const PinnedZone& x, const PinnedZone& y) {
        held_cut = x.held || y.held;
        return x.from >= y.from ? x.from_op : y.from_op;
      };
      if (has_a && has_b && zones_meet(a, b)) return blocker(a, b);
      // The op that cannot be placed: the last of the zone to be invoked (it needs the value).
      held_cut = has_a && a.held;
      if (has_a && op_inside(a, pushed)) return a.to_op;
      held_cut = has_b && b.held;
      if (has_b && op_inside(b, pushed)) return b.to_op;
      if (zone_seen.size() != live_needers.size()) zone_seen.assign(live_needers.size(), 0);
      if (++zone_stamp == 0) {
        std::fill(zone_seen.begin(), zone_seen.end(), 0);
        zone_stamp = 1;
      }
      zone_seen[s] = zone_seen[ns] = zone_stamp;
      for (int32_t e = next[head]; e != tail && is_call[e]; e = next[e]) {
        const int32_t j = entry_op[e];
        if (j == pushed) continue;
        for (uint32_t v : {Model::WrittenValue(ops[j]), Model::NeededValue(ops[j])}) {
          if (v == kNoValue || v >= zone_seen.size() || zone_seen[v] == zone_stamp) continue;
          zone_seen[v] = zone_stamp;
          if (!pinned_zone(v, ns, pushed, &z)) continue;
          if (has_a && zones_meet(a, z)) return blocker(a, z);
          if (has_b && zones_meet(b, z)) return blocker(b, z);
        }
      }
    }
    (void)s;
    (void)ns;
    (void)pushed;
    return -1;
  };

  // Grow-only models (kv): until a reset (put), a pending get must see an extension of the
  // state. resets: the ok resets in call order; the earliest info reset bounds them all.
  std::vector<int32_t> resets, reset_pos(n, -1);
  size_t reset_lo = 0;  // resets before it are linearized
  int64_t first_info_reset = INT64_MAX;
  for (int32_t i = 0; i < n; ++i) {
    if (!Model::Resets(ops[i])) continue;
    if (ops[i].required) {
      reset_pos[i] = static_cast<int32_t>(resets.size());
      resets.push_back(i);
    } else {
      first_info_reset = std::min(first_info_reset, ops[i].call);
    }
  }
  // Whether some reset not yet linearized may come before an op returning at `ret`.
  auto reset_possible_before = [&](int64_t ret) {
    if (first_info_reset < ret) return true;
    while (reset_lo < resets.size() && linearized(resets[reset_lo])) ++reset_lo;
    for (size_t k = reset_lo; k < resets.size(); ++k) {
      int32_t r = resets[k];
      if (ops[r].call >= ret) return false;
      if (!linearized(r)) return true;
    }
    return false;
  };
  auto viable = [&](uint32_t ns) {
    for (int32_t e = next[head]; e != tail && is_call[e]; e = next[e]) {
      const LinOp& g = ops[entry_op[e]];
      if (!g.required || !Model::ReadOnly(g)) continue;
      if (!model.MayStillObserve(ns, g) && !reset_possible_before(g.ret)) return false;
    }
    return true;
  };

  // Whether an earlier-called twin of ok op i, not yet linearized, returns before i does.
  auto dominated_by_twin = [&](int32_t i) {
    int steps = 0;
    for (int32_t t = twin[i]; t >= 0 && steps < 16; t = twin[t], ++steps) {
      if (!linearized(t) && ops[t].ret < ops[i].ret) return true;
    }
    return false;
  };

  int32_t entry = next[head];
  bool fresh = true;  // a node not scanned yet

  // Linearizes op i next if the model allows and the configuration is new: 1 pushed,
  // 2 already visited (or dominated), 0 not allowed.
  auto try_push = [&](int32_t i, bool forced, bool restart = false) -> int {
    const LinOp& op = ops[i];
    const bool info = !op.required;
    uint32_t ns;
    if (!model.Step(state, op, &ns) || (info && ns == state)) return 0;
    // A step refused because op r could then never be placed: explained as if op i were placed
    // and r then found no way to its value.
    auto explain_refusal = [&](int32_t r) {
      const int32_t depth = required - remaining + (info ? 0 : 1);
      if (!flag && depth > best_depth) {
        best_depth = depth;
        path.push_back({cur_node, static_cast<uint32_t>(i)});
        best_node = static_cast<uint32_t>(path.size() - 1);
        best_state = ns;
        best_blocking = r;
      }
    };
    if (ns != state) {
      const int32_t r = stranded_by_leaving(state, i);
      if (r >= 0) {
        explain_refusal(r);
        return 0;
      }
    }
    if constexpr (Model::kGrowOnly) {
      if (!Model::ReadOnly(op) && !viable(ns)) return 0;
    }
    const int32_t old_owed = owed, old_last_blind = last_blind;
    if (dead_write_rule) {
      // The dead-write rule (top of file): a blind write right after an unobserved ok one makes
      // that one dead, and it owes a witness; a blind write that opens a new run of writes is
      // refused while a dead write owes one. Any op invoked late enough pays what is owed.
      int32_t o = owed;
      if (blind_write(op)) {
        if (last_blind >= 0) {
          o = std::max(o, last_blind);
        } else if (o >= 0) {
          return 0;
        }
      }
      if (i >= o) o = -1;
      owed = o;
      last_blind = blind_write(op) && !info ? after_ret[i] : -1;
    }
    const int32_t old_p = P, old_hi = hi;
    const bool nflag = info && Model::kInfoMustBeObserved;
    if (info) {
      group_next[group[i]]++;
    } else {
      lin[i >> 6] |= uint64_t{1} << (i & 63);
      if (i == P) P = first_required_from(P + 1);
      if (i > hi) hi = i;
    }
    count_needer(i, -1);
    auto undo = [&]() {
      count_needer(i, +1);
      if (info) {
        group_next[group[i]]--;
      } else {
        lin[i >> 6] &= ~(uint64_t{1} << (i & 63));
        P = old_p;
        hi = old_hi;
      }
      owed = old_owed;
      last_blind = old_last_blind;
    };
    if (pinned_zones && Model::WrittenValue(op) != kNoValue) {
      // The pinned-zone rule (top of file): only an op that writes pins a value or moves one.
      const int32_t r = zone_conflict(state, ns, i);
      if (r >= 0) {
        ++out.zone_cuts;
        out.held_cuts += held_cut;
        explain_refusal(r);
        undo();
        return 0;
      }
    }
    build_key(memo_state(ns), nflag);
    build_open(i);
    if (memo.Insert(key.data(), static_cast<uint32_t>(key.size()), open)) {
      stack.push_back({i, state, old_hi, flag, old_owed, old_last_blind, forced, restart});
      path.push_back({cur_node, static_cast<uint32_t>(i)});
      cur_node = static_cast<uint32_t>(path.size() - 1);
      remove(call_entry[i]);
      if (ret_entry[i] >= 0) remove(ret_entry[i]);
      if (!info) --remaining;
      mark_used(i, true);
      state = ns;
      flag = nflag;
      entry = next[head];
      fresh = true;
      return 1;
    }
    undo();
    return 2;
  };

  bool exhausted = false;
  while (true) {
    if (remaining == 0) return finish(SearchVerdict::kValid);
    if ((++iterations & 4095) == 0) {
      SearchVerdict v = account();
      if (v != SearchVerdict::kValid) return finish(v);
    }
    bool backtrack = false;
    if (fresh) {
      fresh = false;
      // A legal read-only candidate can go first without loss of generality: it is the only
      // child of this node. If its configuration was seen, this node is already refuted.
      int32_t forced_op = -1;
      for (int32_t e = next[head]; e != tail && is_call[e]; e = next[e]) {
        const LinOp& op = ops[entry_op[e]];
        uint32_t ns;
        // Not when it would separate an unobserved write from the next one while a dead write
        // still owes a witness that this read does not pay (the dead-write rule).
        if (op.required && Model::ReadOnly(op) && model.Step(state, op, &ns) &&
            (last_blind < 0 || owed < 0 || entry_op[e] >= owed)) {
          forced_op = entry_op[e];
          break;
        }
      }
      if (forced_op >= 0) {
        int r = try_push(forced_op, true);
        if (r == 1) continue;
        backtrack = true;
      } else if (!flag) {
        // Earliest deadline first (issue 20): the legal ok candidate that returns first is tried
        // before the others, which are then scanned in call order (the memo skips it there).
        int32_t edf = -1;
        for (int32_t e = next[head]; e != tail && is_call[e]; e = next[e]) {
          const int32_t i = entry_op[e];
          const LinOp& op = ops[i];
          uint32_t ns;
          if (!op.required || (edf >= 0 && op.ret >= ops[edf].ret)) continue;
          if (model.Step(state, op, &ns) && !dominated_by_twin(i)) edf = i;
        }
        if (edf >= 0 && try_push(edf, false, true) == 1) continue;
      }
    }
    if (backtrack) {
      // fall through to the backtracking below
    } else if (entry == tail) {
      backtrack = true;
    } else if (is_call[entry]) {
      const int32_t i = entry_op[entry];
      const LinOp& op = ops[i];
      const bool info = !op.required;
      if ((flag && !Model::Observes(op)) || (info && group_next[group[i]] != pos_in_group[i]) ||
          (!info && dominated_by_twin(i))) {
        entry = next[entry];
        continue;
      }
      if (try_push(i, false) == 1) continue;
      entry = next[entry];
      continue;
    } else {
      // The return of an op not yet linearized: nothing later can come first.
      if (!flag && required - remaining > best_depth) {
        best_depth = required - remaining;
        best_node = cur_node;
        best_state = state;
        best_blocking = entry_op[entry];
      }
      backtrack = true;
    }
    if (backtrack) {
      // Pop until a node with siblings left to try: a forced child was that node's only one.
      while (true) {
        if (stack.empty()) {
          exhausted = true;
          break;
        }
        Frame f = stack.back();
        stack.pop_back();
        const int32_t i = f.op;
        if (ret_entry[i] >= 0) restore(ret_entry[i]);
        restore(call_entry[i]);
        if (ops[i].required) {
          lin[i >> 6] &= ~(uint64_t{1} << (i & 63));
          if (i < P) P = i;
          if (reset_pos[i] >= 0) reset_lo = std::min<size_t>(reset_lo, reset_pos[i]);
          ++remaining;
        } else {
          group_next[group[i]]--;
        }
        mark_used(i, false);
        count_needer(i, +1);
        hi = f.old_hi;
        state = f.old_state;
        flag = f.old_flag;
        owed = f.old_owed;
        last_blind = f.old_last_blind;
        cur_node = path[cur_node].first;
        if (!f.forced) {
          entry = f.restart ? next[head] : next[call_entry[i]];
          break;
        }
      }
      if (exhausted) break;
    }
  }
  // Not linearizable: explain with the deepest linearization found.
  for (uint32_t node = best_node; node != 0; node = path[node].first) {
    out.prefix.push_back(path[node].second);
  }
  std::reverse(out.prefix.begin(), out.prefix.end());
  out.blocking = best_blocking;
  out.state_text = model.StateText(best_state);
  if (best_blocking >= 0) out.needed_text = model.Needed(ops[best_blocking]);
  return finish(SearchVerdict::kInvalid);
}

template <class Model>
SearchOutcome SearchKey(Model& model, std::vector<LinOp>& ops, const SearchLimits& limits) {
  if constexpr (Model::kValuesAreStates) {
    // First the search without the dead-write rule, which goes straight to a linearization
    // when the earliest deadline first order finds one; if it memoizes SearchLimits::first_try
    // configurations without an answer, again from scratch with the rule (issue 20: 50
    // processes, values 0-99, unknown after 30 s without it; with it alone, values 0-999 took
    // 5 s instead of 0.02 s).
    SearchOutcome out;
    if (limits.first_try == 0) {
      out = SearchOnce(model, ops, limits, true, 0);
    } else {
      SearchOutcome first = SearchOnce(model, ops, limits, false, limits.first_try);
      if (first.verdict != SearchVerdict::kGaveUp) {
        out = std::move(first);
      } else {
        out = SearchOnce(model, ops, limits, true, 0);
        out.configurations += first.configurations;
        out.zone_cuts += first.zone_cuts;
        out.held_cuts += first.held_cuts;
        out.peak_bytes = std::max(out.peak_bytes, first.peak_bytes);
      }
    }
    if (out.verdict == SearchVerdict::kInvalid && out.zone_cuts > 0 && limits.pinned_zones) {
      // The pinned-zone rule cuts a doomed order early, so the deepest prefix the search saw
      // can be shorter than the one a report should draw. Searched again without it, for at
      // most 2 s, for the explanation only (the verdict stands; on a budget, the first one).
      SearchLimits explain = limits;
      explain.pinned_zones = false;
      const auto soon = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      explain.deadline = limits.has_deadline ? std::min(limits.deadline, soon) : soon;
      explain.has_deadline = true;
      explain.first_try = 0;
      SearchOutcome again = SearchOnce(model, ops, explain, false, 0);
      if (again.verdict == SearchVerdict::kInvalid) {
        out.prefix = std::move(again.prefix);
        out.blocking = again.blocking;
        out.state_text = std::move(again.state_text);
        out.needed_text = std::move(again.needed_text);
      }
      out.peak_bytes = std::max(out.peak_bytes, again.peak_bytes);
    }
    return out;
  }
  return SearchOnce(model, ops, limits, false, 0);
}

template SearchOutcome SearchKey<RegisterModel>(RegisterModel&, std::vector<LinOp>&,
                                                const SearchLimits&);
template SearchOutcome SearchKey<KvModel>(KvModel&, std::vector<LinOp>&, const SearchLimits&);
template SearchOutcome SearchKey<MutexModel>(MutexModel&, std::vector<LinOp>&, const SearchLimits&);
template SearchOutcome SearchKey<SetModel>(SetModel&, std::vector<LinOp>&, const SearchLimits&);

}  // namespace splitbrain::checker::internal

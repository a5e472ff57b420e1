// Why searching read assignments decides linearizability (register, one key):
//  A reader is an op that needs a value: an ok read of it, a cas expecting it (ok, or info when
//  it takes effect). Its candidates are the writes (and the initial value) of rule 1 at the top
//  of read_sources.cc: the only ops that can be its source — the last write before it — in a
//  linearization. An assignment A gives each reader one candidate (an info cas with none gets
//  a value nothing writes). H_A is the history in which each write and cas writes a value of its
//  own, the initial value is its own, and each reader needs the value of A(r).
//  1. H is linearizable iff H_A is for some A. (<=) In a linearization of H_A, map each new value
//     back to the old one: A(r) writes r's old value, equal new values have equal old ones, and
//     the register only compares values, so every step stays legal. (=>) In a linearization L of
//     H, let A(r) be each reader's source in L (a candidate, by rule 1), any candidate for an
//     info cas L leaves out; every reader in L then finds A(r)'s value: L linearizes H_A.
//  2. Relaxation. For a partial assignment P, H_P is H_A with each unassigned read dropped and
//     each unassigned cas made an info write of its own value (its times kept). If H_A is
//     linearizable for some A extending P, so is H_P: in a linearization of H_A remove the
//     unassigned reads (a read changes nothing) and let each unassigned cas write at its own
//     point (a write is legal in any state; an info op may be used or not). So H_P refuted
//     refutes every extension of P: backtracking there is sound. With every reader assigned,
//     H_P is H_A and the verdict is exact.
//  3. H_P has unique values (each write its own, nothing writes the initial value), so the
//     unique-value check (unique_values.cc) decides it in O(n log n).
//  4. Monotone prefixes. Readers are chosen in a fixed order; P_k assigns the first k. H_P(k+1)
//     is H_P(k) with one read added or one info write made a cas that must find a value, so a
//     linearization of H_P(k+1) gives one of H_P(k) (remove the read; a cas is legal as a
//     write): P_k refuted refutes P_k+1. The first refuted prefix of a full assignment can then
//     be found by bisection, and the choice it ends with is wrong given the ones before it.
//  The search: take every first candidate, check the full assignment; if refuted, bisect for
//  the first refuted prefix P_k, replace choice k by its next candidate (when none is left, go
//  back to choice k-1: chronological backtracking), and repeat. Every assignment is either
//  checked or extends a refuted prefix, so when choice 0 runs out the key is not linearizable.
#include "checker/source_assignment.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>

#include "checker/read_sources.h"
#include "checker/unique_values.h"

namespace splitbrain::checker::internal {

namespace {

constexpr int32_t kUnassigned = -2;
constexpr int32_t kNothing = -3;  // an info cas with no candidate: needs a value nothing writes
constexpr int64_t kMaxCandidatesPerOp = 3;

// H_P for a prefix of the choices, judged by the unique-value check.
class Oracle {
 public:
  Oracle(const ValueTable& values, uint32_t initial, const std::vector<LinOp>& ops)
      : ops_(ops), n_(static_cast<uint32_t>(ops.size())) {
    // Value ids of H_P: 0 the initial value, i + 1 what op i writes, n + 1 nothing's. Texts
    // stay the recorded ones, for the words of a refutation.
    table_.texts.resize(n_ + 2);
    table_.texts[0] = values.texts[initial];
    for (uint32_t i = 0; i < n_; ++i) {
      const uint32_t w = RegisterModel::WrittenValue(ops[i]);
      if (w != kNoValue) table_.texts[i + 1] = values.texts[w];
    }
    table_.texts[n_ + 1] = "(a value nothing writes)";
    relaxed_.reserve(ops.size());
    back_.reserve(ops.size());
  }

  // source[i]: op i's assigned source (an op index, kInitialSource, kNothing) or kUnassigned.
  SearchOutcome Check(const std::vector<int32_t>& source) {
    relaxed_.clear();
    back_.clear();
    for (uint32_t i = 0; i < n_; ++i) {
      LinOp op = ops_[i];
      const int32_t s = source[i];
      if (op.kind == RegisterModel::kWrite) {
        op.a = i + 1;
      } else if (op.kind == RegisterModel::kRead) {
        if (s == kUnassigned) continue;  // dropped
        op.out = Value(s);
      } else if (s == kUnassigned) {
        op.kind = RegisterModel::kWrite;  // an info write of its own value
        op.a = i + 1;
        op.required = false;
      } else {
        op.a = Value(s);
        op.b = i + 1;
      }
      relaxed_.push_back(op);
      back_.push_back(static_cast<int32_t>(i));
    }
    std::optional<SearchOutcome> r = CheckUniqueValues(table_, 0, relaxed_);
    // Values are unique by construction; were they not, the caller gives up (kGaveUp).
    if (!r) return SearchOutcome{.verdict = SearchVerdict::kGaveUp};
    if (r->blocking >= 0) r->blocking = back_[r->blocking];
    return std::move(*r);
  }

 private:
  uint32_t Value(int32_t s) const {
    return s == kInitialSource ? 0 : s == kNothing ? n_ + 1 : static_cast<uint32_t>(s) + 1;
  }
  const std::vector<LinOp>& ops_;
  const uint32_t n_;
  ValueTable table_;
  std::vector<LinOp> relaxed_;
  std::vector<int32_t> back_;  // relaxed_ index -> ops_ index
};

// What the conflict sets may hold at most, for the memory figure.
int64_t ConflictBytes(int32_t m) { return int64_t{m} * m * 4 / 8; }

}  // namespace

std::optional<SearchOutcome> SearchSourceAssignment(
    const ValueTable& values, uint32_t initial, const std::vector<LinOp>& ops,
    const SearchLimits& limits, uint64_t max_calls, AssignmentStats* stats,
    const std::function<std::optional<SearchOutcome>()>& first) {
  const size_t n = ops.size();
  for (const LinOp& op : ops) {
    // A result that matches nothing: left to the search.
    if (op.kind == RegisterModel::kRead && op.out == kNoValue) return std::nullopt;
  }
  if (limits.has_deadline && std::chrono::steady_clock::now() > limits.deadline) {
    return std::nullopt;
  }
  // Its memory (the ops twice, the candidate lists, the sources) within what the budget leaves.
  const size_t max_candidates = 16 * n + 1000;
  const int64_t bytes =
      static_cast<int64_t>(n * (2 * sizeof(LinOp) + 8 * sizeof(int32_t)) + max_candidates * 4);
  if (limits.max_memory > 0 &&
      bytes > limits.max_memory - (limits.memory_used ? limits.memory_used->load() : 0)) {
    return std::nullopt;
  }
  auto candidates = SourceCandidates(ops, initial, max_candidates);
  if (!candidates) return std::nullopt;
  // Fixed sources, and the choices: readers with two or more candidates, in order of return,
  // then of invocation (info cas last: they never return).
  std::vector<int32_t> source(n, kUnassigned);
  std::vector<int32_t> vars;
  for (size_t i = 0; i < n; ++i) {
    if (RegisterModel::NeededValue(ops[i]) == kNoValue) continue;
    const std::vector<int32_t>& c = (*candidates)[i];
    if (c.empty()) {
      if (ops[i].required) {
        // Refuted (claim 2 of read_sources.cc; with the split on, SplitBySource has said so).
        SearchOutcome out;
        out.verdict = SearchVerdict::kInvalid;
        out.assigned = true;
        out.blocking = static_cast<int64_t>(i);
        out.needed_text = values.texts[RegisterModel::NeededValue(ops[i])];
        out.reason = OpName(ops[i]) + " needs " + out.needed_text +
                     ", and no write of it can have been seen: each was invoked after it "
                     "returned or certainly overwritten before it began";
        return out;
      }
      source[i] = kNothing;
    } else if (c.size() == 1) {
      source[i] = c[0];
    } else {
      vars.push_back(static_cast<int32_t>(i));
    }
  }
  if (vars.empty()) return std::nullopt;
  std::sort(vars.begin(), vars.end(), [&](int32_t x, int32_t y) {
    return ops[x].ret != ops[y].ret ? ops[x].ret < ops[y].ret : ops[x].call < ops[y].call;
  });
  // Each choice's candidates: ok writes before info ones (an ok write took effect anyway; an
  // info one chosen must take effect), each the one invoked last first (the closest to the read
  // is the likeliest source), the initial value last.
  std::vector<std::vector<int32_t>> options(vars.size());
  auto rank = [&](int32_t w) { return w == kInitialSource ? 2 : ops[w].required ? 0 : 1; };
  for (size_t k = 0; k < vars.size(); ++k) {
    options[k] = std::move((*candidates)[vars[k]]);
    std::reverse(options[k].begin(), options[k].end());
    std::stable_sort(options[k].begin(), options[k].end(),
                     [&](int32_t x, int32_t y) { return rank(x) < rank(y); });
  }
  candidates.reset();
  AssignmentStats local;
  AssignmentStats& st = stats ? *stats : local;
  st = AssignmentStats{};
  st.choices = static_cast<int64_t>(vars.size());
  int64_t to_choose_from = 0;
  for (const std::vector<int32_t>& o : options) to_choose_from += static_cast<int64_t>(o.size());
  // More than kMaxCandidatesPerOp candidates per operation to choose from: a domain too narrow
  // for choosing sources to pay (10k events at 40 processes with values 0-4: 3.7 a operation,
  // 14 s without an answer where the search over orders takes 1.5 s; the 10k-event histories
  // it decides have 0.2-1.7).
  if (to_choose_from > kMaxCandidatesPerOp * static_cast<int64_t>(n)) return std::nullopt;
  if (first) {
    if (std::optional<SearchOutcome> decided = first()) return decided;
  }

  Oracle oracle(values, initial, ops);
  const int32_t m = static_cast<int32_t>(vars.size());
  std::vector<int32_t> choice(m, 0);
  SearchOutcome last;
  bool gave_up = false;
  const auto started = std::chrono::steady_clock::now();
  // Half the time left at most: what it gives up on, the search over orders gets the rest.
  const bool has_deadline = limits.has_deadline;
  const auto deadline = started + (limits.deadline - started) / 2;
  // Judges the partial assignment of the choices e with in(e), the others unassigned.
  auto check_set = [&](auto&& in) {
    if (st.oracle_calls >= max_calls || (limits.stop && limits.stop->load()) ||
        (has_deadline && (st.oracle_calls & 15) == 0 &&
         std::chrono::steady_clock::now() > deadline)) {
      gave_up = true;
      return false;
    }
    for (int32_t e = 0; e < m; ++e) source[vars[e]] = in(e) ? options[e][choice[e]] : kUnassigned;
    ++st.oracle_calls;
    last = oracle.Check(source);
    if (last.verdict == SearchVerdict::kGaveUp) gave_up = true;
    return last.verdict == SearchVerdict::kValid;
  };
  auto check = [&](int32_t k) { return check_set([k](int32_t e) { return e < k; }); };
  auto finish = [&](SearchOutcome out) -> std::optional<SearchOutcome> {
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (gave_up) {
      st.capped = true;
      return std::nullopt;
    }
    out.unique_values = false;
    out.assigned = true;
    out.configurations = 0;
    out.peak_bytes = bytes + ConflictBytes(m);
    return out;
  };

  if (!check(0)) {
    // Refuted before any choice: the check's words hold for every assignment.
    return finish(std::move(last));
  }
  // conflict[j]: earlier choices that, as they stand, refute some candidates of choice j
  // (with the candidates tried so far); cleared when an earlier choice changes.
  std::vector<std::vector<int32_t>> conflict(m);
  std::vector<uint8_t> required(m, 0);
  // Choice j as it stands is refuted with the choices before it: adds to conflict[j] a set of
  // them that refutes it too (claim 4: a subset's refutation refutes every superset). Each
  // member is the last of the shortest prefix that, with the members found so far, refutes.
  auto explain = [&](int32_t j) {
    required[j] = 1;
    std::vector<int32_t> found;
    int32_t hi = j;  // with(hi) is refuted
    auto with = [&](int32_t i) {
      return check_set([&](int32_t e) { return required[e] != 0 || e < i; });
    };
    while (hi > 0 && with(0)) {
      int32_t lo = 1, h = hi;
      while (lo < h) {
        const int32_t mid = lo + (h - lo) / 2;
        if (with(mid)) {
          lo = mid + 1;
        } else {
          h = mid;
        }
      }
      if (gave_up) break;
      required[lo - 1] = 1;
      found.push_back(lo - 1);
      hi = lo - 1;
    }
    required[j] = 0;
    for (int32_t e : found) required[e] = 0;
    std::vector<int32_t>& c = conflict[j];
    c.insert(c.end(), found.begin(), found.end());
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
  };
  // Choices after j start over at their first candidates, knowing nothing.
  auto reset_after = [&](int32_t j) {
    for (int32_t e = j + 1; e < m; ++e) {
      choice[e] = 0;
      conflict[e].clear();
    }
  };
  int32_t known = 0;  // P_known is not refuted
  while (true) {
    if (check(m) || gave_up) return finish(std::move(last));
    // The first refuted prefix in (known, m]: P_(lo-1) passes, P_hi is refuted.
    int32_t lo = known + 1, hi = m;
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (check(mid)) {
        lo = mid + 1;
      } else {
        if (gave_up) return finish(std::move(last));
        hi = mid;
      }
    }
    // Choice j is refuted given those before it: explain it, then its next candidate; when
    // none is left, jump back to the latest choice that took part in refuting them all
    // (conflict-directed backjumping), which inherits the rest of the conflict.
    int32_t j = lo - 1;
    bool explained = false;
    while (true) {
      if (!explained) explain(j);
      if (gave_up) return finish(std::move(last));
      ++st.backtracks;
      if (++choice[j] < static_cast<int32_t>(options[j].size())) {
        reset_after(j);
        if (check(j + 1)) break;
        if (gave_up) return finish(std::move(last));
        explained = false;
        continue;
      }
      if (conflict[j].empty()) {
        // Every candidate of choice j is refuted whatever the others saw.
        SearchOutcome out;
        out.verdict = SearchVerdict::kInvalid;
        const LinOp& op = ops[vars[j]];
        out.blocking = vars[j];
        out.needed_text = values.texts[RegisterModel::NeededValue(op)];
        out.reason = "every write " + OpName(op) + " may have seen (" +
                     std::to_string(options[j].size()) +
                     " of them) leads to a contradiction, whatever the other operations saw (" +
                     std::to_string(st.oracle_calls) + " choices of sources checked)";
        return finish(std::move(out));
      }
      const int32_t h = conflict[j].back();
      std::vector<int32_t>& into = conflict[h];
      into.insert(into.end(), conflict[j].begin(), conflict[j].end() - 1);
      std::sort(into.begin(), into.end());
      into.erase(std::unique(into.begin(), into.end()), into.end());
      reset_after(h);
      j = h;
      explained = true;  // its current candidate is refuted by what choice j's conflict holds
    }
    known = j + 1;
  }
}

}  // namespace splitbrain::checker::internal

// Why splitting values by their possible sources keeps the verdict (register, one key):
//  A reader is an operation that needs a value v: an ok read of v, a cas expecting v (ok, or
//  info when it takes effect). In a linearization L its source is the last operation before it
//  that writes (a write or a cas that took effect), or the initial value when none does; in a
//  legal L the source writes v.
//  1. Candidates. If w is reader r's source in L, then (a) w writes v (or w is the initial value,
//     v the initial value); (b) w was invoked before r returned (w precedes r in L); (c) no ok
//     operation u other than a read of v was invoked after w returned and returned before r was
//     invoked. For (c): real time puts such a u between w and r in L; if u writes, w is not the
//     last write before r; if not, u is a read of another value, yet the register holds v from
//     w to r. An info w never returned and the initial value returned before everything, so (c)
//     never rules out an info write and rules out the initial value when any such u returned
//     before r was invoked. A w that meets (a)-(c) is a candidate of r.
//  2. Refutation. An ok reader with no candidate has no source in any linearization: the key is
//     not linearizable. (An info cas with none can never take effect: it keeps a value nothing
//     writes.)
//  3. Splitting. Join the candidates of each reader into one class (union-find, so each value's
//     writers fall into classes and every reader's candidates lie in one); give each class a
//     value of its own (the class of the initial value keeps it), each writer its class's value
//     and each reader the value of its candidates' class. The new history is linearizable iff
//     the old one is. If L linearizes the old one, each reader's source in L is a candidate (1),
//     so it writes the reader's new value: L is legal for the new history (writes are legal in
//     any state; the ops and their times are the same). If L' linearizes the new one, mapping
//     each new value back to the old one keeps every step legal: the register only compares
//     values, and equal new values have equal old ones.
//  Joining more than needed is harmless (it only merges classes back), which is why the info
//  writes of a value, invoked one after another, are joined in a chain rather than one by one.
#include "checker/read_sources.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace splitbrain::checker::internal {

namespace {

constexpr int64_t kNoTime = std::numeric_limits<int64_t>::max();


class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int32_t Find(int32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Join(int32_t a, int32_t b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<int32_t> parent_;
};

// The ok op returning first among those invoked at or after position k of the ok ops in call
// order, other than the reads of a given value: for each k the two that return first with
// different tags (a read's tag is its result; every other op has the tag kNoValue, which no
// value asked about equals), so the best op whose tag is not v is one of the two.
class FirstBreaking {
 public:
  struct Best {
    int64_t ret = kNoTime;
    uint32_t tag = kNoValue;
    int32_t op = -1;
  };
  FirstBreaking(const std::vector<LinOp>& ops, const std::vector<int32_t>& ok_by_call)
      : first_(ok_by_call.size() + 1), second_(ok_by_call.size() + 1) {
    for (size_t k = ok_by_call.size(); k-- > 0;) {
      const LinOp& u = ops[ok_by_call[k]];
      const Best c{u.ret, u.kind == RegisterModel::kRead ? u.out : kNoValue, ok_by_call[k]};
      const Best& b1 = first_[k + 1];
      const Best& b2 = second_[k + 1];
      if (c.ret < b1.ret) {
        first_[k] = c;
        second_[k] = b1.tag != c.tag ? b1 : b2;
      } else {
        first_[k] = b1;
        second_[k] = c.tag != b1.tag && c.ret < b2.ret ? c : b2;
      }
    }
  }
  // Over positions k.. (k may be the end): the first to return whose tag is not v.
  const Best& At(size_t k, uint32_t v) const { return first_[k].tag != v ? first_[k] : second_[k]; }

 private:
  std::vector<Best> first_, second_;
};

// (c) of the proof for a reader of g invoked at `call`: the first position of the ok ops in call
// order whose breaking ops all return after `call`. A write that returned before the call at
// position i0 - 1 was followed by one that returned before the reader began: ruled out.
size_t FirstClear(const FirstBreaking& first_breaking, size_t ok_count, uint32_t g, int64_t call) {
  size_t lo = 0, hi = ok_count;  // At(ok_count) never returns: the answer is <= ok_count
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (first_breaking.At(mid, g).ret < call) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Max of `ret` over a range of an array, and every index in a prefix with ret >= t.
class MaxTree {
 public:
  explicit MaxTree(const std::vector<int64_t>& ret) {
    size_ = 1;
    while (size_ < ret.size()) size_ *= 2;
    tree_.assign(2 * size_, std::numeric_limits<int64_t>::min());
    for (size_t i = 0; i < ret.size(); ++i) tree_[size_ + i] = ret[i];
    for (size_t i = size_; i-- > 1;) tree_[i] = std::max(tree_[2 * i], tree_[2 * i + 1]);
  }
  // Appends to out every i in [lo, hi) with ret[i] >= t; stops (returning false) past `limit`.
  bool Collect(size_t lo, size_t hi, int64_t t, std::vector<int32_t>& out, size_t limit) const {
    return Collect(1, 0, size_, lo, hi, t, out, limit);
  }

 private:
  bool Collect(size_t node, size_t nlo, size_t nhi, size_t lo, size_t hi, int64_t t,
               std::vector<int32_t>& out, size_t limit) const {
    if (hi <= nlo || nhi <= lo || tree_[node] < t) return true;
    if (nhi - nlo == 1) {
      out.push_back(static_cast<int32_t>(nlo));
      return out.size() <= limit;
    }
    const size_t mid = (nlo + nhi) / 2;
    return Collect(2 * node, nlo, mid, lo, hi, t, out, limit) &&
           Collect(2 * node + 1, mid, nhi, lo, hi, t, out, limit);
  }
  size_t size_ = 1;
  std::vector<int64_t> tree_;
};

}  // namespace

ReadSources SplitBySource(const ValueTable& values, uint32_t initial, std::vector<LinOp>& ops) {
  ReadSources out;
  const int32_t n = static_cast<int32_t>(ops.size());
  auto written = [&](const LinOp& op) { return RegisterModel::WrittenValue(op); };
  auto needed = [&](const LinOp& op) { return RegisterModel::NeededValue(op); };
  for (const LinOp& op : ops) {
    if (written(op) == kNoValue && needed(op) == kNoValue) continue;
    if ((op.kind != RegisterModel::kRead && written(op) == kNoValue) ||
        (op.kind != RegisterModel::kWrite && needed(op) == kNoValue)) {
      return out;  // a result that matches nothing: left to the search
    }
  }

  // Local dense value ids; the initial value is 0.
  std::unordered_map<uint32_t, int32_t> local;
  std::vector<uint32_t> global{initial};
  local.emplace(initial, 0);
  auto local_of = [&](uint32_t v) {
    auto [it, fresh] = local.emplace(v, static_cast<int32_t>(global.size()));
    if (fresh) global.push_back(v);
    return it->second;
  };
  // Per value: its ok writers (by call) and info writers (by call).
  std::vector<int32_t> by_call(n);
  std::iota(by_call.begin(), by_call.end(), 0);
  std::sort(by_call.begin(), by_call.end(),
            [&](int32_t x, int32_t y) { return ops[x].call < ops[y].call; });
  std::vector<std::vector<int32_t>> ok_writers, info_writers;
  std::vector<int32_t> ok_by_call;
  for (int32_t i : by_call) {
    const LinOp& op = ops[i];
    if (op.required) ok_by_call.push_back(i);
    const uint32_t w = written(op);
    if (w != kNoValue) {
      const int32_t lv = local_of(w);
      if (ok_writers.size() <= static_cast<size_t>(lv)) {
        ok_writers.resize(lv + 1);
        info_writers.resize(lv + 1);
      }
      (op.required ? ok_writers : info_writers)[lv].push_back(i);
    }
    if (needed(op) != kNoValue) local_of(needed(op));
  }
  const size_t nv = global.size();
  ok_writers.resize(nv);
  info_writers.resize(nv);
  std::vector<int64_t> ok_calls(ok_by_call.size());
  for (size_t k = 0; k < ok_by_call.size(); ++k) ok_calls[k] = ops[ok_by_call[k]].call;
  const FirstBreaking first_breaking(ops, ok_by_call);

  // The ok writers of all values in one array (each value's stretch by call), for MaxTree.
  std::vector<size_t> stretch(nv + 1, 0);
  std::vector<int32_t> all_ok;
  std::vector<int64_t> all_ret;
  for (size_t v = 0; v < nv; ++v) {
    stretch[v] = all_ok.size();
    for (int32_t i : ok_writers[v]) {
      all_ok.push_back(i);
      all_ret.push_back(ops[i].ret);
    }
  }
  stretch[nv] = all_ok.size();
  const MaxTree max_ret(all_ret);

  // Union-find nodes: the ops (as writers), and n for the initial value.
  UnionFind classes(static_cast<size_t>(n) + 1);
  const int32_t kInitialNode = n;
  std::vector<int32_t> source_of(n, -1);  // a reader's candidate (its class), -1: none
  std::vector<size_t> info_used(nv, 0);   // the info writers any reader may have seen
  // Joining is given up (nothing split, refutation still found) past this much enumeration.
  const size_t limit = 64 * static_cast<size_t>(n) + 100000;
  size_t enumerated = 0;
  bool joining = true;
  std::vector<int32_t> found;
  for (int32_t r : by_call) {
    const LinOp& op = ops[r];
    const uint32_t g = needed(op);
    if (g == kNoValue) continue;
    const int32_t v = local.at(g);
    const int64_t ret = op.required ? op.ret : kNoTime;
    const size_t i0 = FirstClear(first_breaking, ok_calls.size(), g, op.call);
    const int64_t after = i0 == 0 ? std::numeric_limits<int64_t>::min() : ok_calls[i0 - 1];
    // Candidates: (b) invoked before r returns: a prefix of each list by call.
    const std::vector<int32_t>& okw = ok_writers[v];
    const size_t ok_prefix = static_cast<size_t>(
        std::partition_point(okw.begin(), okw.end(), [&](int32_t w) { return ops[w].call < ret; }) -
        okw.begin());
    const std::vector<int32_t>& infow = info_writers[v];
    const size_t info_prefix =
        static_cast<size_t>(std::partition_point(infow.begin(), infow.end(),
                                                 [&](int32_t w) { return ops[w].call < ret; }) -
                            infow.begin());
    found.clear();
    if (v == 0 && i0 == 0) found.push_back(kInitialNode);
    if (info_prefix > 0) {
      found.push_back(infow[0]);
      info_used[v] = std::max(info_used[v], info_prefix);
    }
    if (joining || found.empty()) {
      const size_t before = found.size();
      if (!max_ret.Collect(stretch[v], stretch[v] + ok_prefix, after, found, limit)) {
        joining = false;
      }
      for (size_t k = before; k < found.size(); ++k) found[k] = all_ok[found[k]];
      // r itself (a cas writing what it expects) is not its own source.
      std::erase(found, r);
      enumerated += found.size();
      if (enumerated > limit) joining = false;
    }
    if (found.empty()) {
      if (!op.required || out.refuted >= 0) continue;
      out.refuted = r;
      // Name the writer that comes closest: the last to return among those invoked in time.
      int32_t latest = -1;
      for (size_t k = 0; k < ok_prefix; ++k) {
        if (okw[k] != r && (latest < 0 || ops[okw[k]].ret > ops[latest].ret)) latest = okw[k];
      }
      const std::string& text = values.texts[g];
      if (latest < 0 && g != initial) {
        out.reason = OpName(op) + " needs " + text + ", and no operation writing " + text +
                     " was invoked before it returned";
      } else {
        // The op that overwrote it: invoked after the source returned, returned before r began.
        const size_t k =
            latest < 0 ? 0
                       : static_cast<size_t>(
                             std::upper_bound(ok_calls.begin(), ok_calls.end(), ops[latest].ret) -
                             ok_calls.begin());
        const int32_t u = first_breaking.At(k, g).op;
        const std::string source =
            latest < 0 ? "the initial value"
                       : "the write of it that returned last, " + OpName(ops[latest]) + ",";
        out.reason = OpName(op) + " needs " + text + ", but " + source + " was followed by " +
                     (u >= 0 ? OpName(ops[u]) : std::string("another operation")) +
                     ", which reads or writes another value, began after it and returned before " +
                     OpName(op) + " began";
      }
      continue;
    }
    source_of[r] = found[0];
    if (joining) {
      for (size_t k = 1; k < found.size(); ++k) classes.Join(found[k], found[0]);
    }
  }
  if (!joining) return out;
  for (size_t v = 0; v < nv; ++v) {
    for (size_t k = 1; k < info_used[v]; ++k) classes.Join(info_writers[v][k], info_writers[v][0]);
  }

  // One new value per class; the initial value's class keeps id 0.
  std::vector<int32_t> label(static_cast<size_t>(n) + 1, -1);
  std::vector<uint32_t> text_of{0};  // new id -> local id
  label[classes.Find(kInitialNode)] = 0;
  std::vector<uint8_t> written_before(nv, 0);
  written_before[0] = 1;
  out.values_before = 1;
  for (int32_t i : by_call) {
    const uint32_t w = written(ops[i]);
    if (w == kNoValue) continue;
    const int32_t v = local.at(w);
    out.values_before += !written_before[v];
    written_before[v] = 1;
    int32_t& l = label[classes.Find(i)];
    if (l < 0) {
      l = static_cast<int32_t>(text_of.size());
      text_of.push_back(static_cast<uint32_t>(v));
    }
  }
  out.values_after = static_cast<int64_t>(text_of.size());
  if (out.values_after == out.values_before) return out;

  // Rewrite. A reader with no candidate gets a value nobody writes (one per old value).
  std::vector<int32_t> unwritten(nv, -1);
  auto reader_label = [&](int32_t r, uint32_t g) -> uint32_t {
    if (source_of[r] >= 0) return static_cast<uint32_t>(label[classes.Find(source_of[r])]);
    int32_t& u = unwritten[local.at(g)];
    if (u < 0) {
      u = static_cast<int32_t>(text_of.size());
      text_of.push_back(static_cast<uint32_t>(local.at(g)));
    }
    return static_cast<uint32_t>(u);
  };
  for (int32_t i = 0; i < n; ++i) {
    LinOp& op = ops[i];
    switch (op.kind) {
      case RegisterModel::kRead:
        op.out = reader_label(i, op.out);
        break;
      case RegisterModel::kWrite:
        op.a = static_cast<uint32_t>(label[classes.Find(i)]);
        break;
      default:
        op.a = reader_label(i, op.a);
        op.b = static_cast<uint32_t>(label[classes.Find(i)]);
        break;
    }
  }
  for (uint32_t l : text_of) {
    const uint32_t g = global[l];
    out.values.texts.push_back(values.texts[g]);
    out.values.strings.push_back(values.strings[g]);
    out.values.is_string.push_back(values.is_string[g]);
  }
  out.initial = 0;
  out.split = true;
  return out;
}

std::optional<std::vector<std::vector<int32_t>>> SourceCandidates(const std::vector<LinOp>& ops,
                                                                  uint32_t initial, size_t limit) {
  const int32_t n = static_cast<int32_t>(ops.size());
  std::vector<int32_t> by_call(n);
  std::iota(by_call.begin(), by_call.end(), 0);
  std::sort(by_call.begin(), by_call.end(),
            [&](int32_t x, int32_t y) { return ops[x].call < ops[y].call; });
  std::vector<int32_t> ok_by_call;
  std::unordered_map<uint32_t, std::vector<int32_t>> writers;  // by value, in call order
  for (int32_t i : by_call) {
    if (ops[i].required) ok_by_call.push_back(i);
    const uint32_t w = RegisterModel::WrittenValue(ops[i]);
    if (w != kNoValue) writers[w].push_back(i);
  }
  std::vector<int64_t> ok_calls(ok_by_call.size());
  for (size_t k = 0; k < ok_by_call.size(); ++k) ok_calls[k] = ops[ok_by_call[k]].call;
  const FirstBreaking first_breaking(ops, ok_by_call);
  std::vector<std::vector<int32_t>> out(n);
  size_t total = 0, scanned = 0;
  const std::vector<int32_t> none;
  for (int32_t r = 0; r < n; ++r) {
    const LinOp& op = ops[r];
    const uint32_t g = RegisterModel::NeededValue(op);
    if (g == kNoValue) continue;
    const int64_t ret = op.required ? op.ret : kNoTime;
    const size_t i0 = FirstClear(first_breaking, ok_calls.size(), g, op.call);
    const int64_t after = i0 == 0 ? std::numeric_limits<int64_t>::min() : ok_calls[i0 - 1];
    std::vector<int32_t>& found = out[r];
    if (g == initial && i0 == 0) found.push_back(kInitialSource);
    auto it = writers.find(g);
    for (int32_t w : it == writers.end() ? none : it->second) {
      if (ops[w].call >= ret) break;  // (b)
      if (w != r && (!ops[w].required || ops[w].ret >= after)) found.push_back(w);
      // A narrow domain is given up before scanning it costs much.
      if (++scanned > 4 * limit) return std::nullopt;
    }
    total += found.size();
    if (total > limit) return std::nullopt;
  }
  return out;
}

}  // namespace splitbrain::checker::internal

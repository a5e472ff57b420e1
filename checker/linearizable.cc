// CheckLinearizable: prepares each key's operations for its model (dropping what constrains
// nothing), checks the keys in parallel with lin_search, and explains a failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "checker/checker.h"
#include "checker/lin_search.h"
#include "checker/models.h"
#include "checker/read_sources.h"
#include "checker/source_assignment.h"
#include "checker/unique_values.h"
#include "records/json_text.h"

namespace splitbrain::checker {

using internal::KvModel;
using internal::LinOp;
using internal::MutexModel;
using internal::RegisterModel;
using internal::SearchLimits;
using internal::SearchOutcome;
using internal::SearchVerdict;
using internal::SetModel;
using internal::ValueTable;

CheckResult ReadsResult(bool invalid, int64_t reads) {
  CheckResult r;
  r.valid = invalid ? Validity::kInvalid : reads == 0 ? Validity::kUnknown : Validity::kValid;
  r.json["valid"] = ValidityJson(r.valid);
  r.json["reads"] = reads;
  if (r.valid == Validity::kUnknown) r.json["explanation"] = "no successful read: nothing to judge";
  return r;
}

nlohmann::json ValidityJson(Validity v) {
  switch (v) {
    case Validity::kValid:
      return true;
    case Validity::kInvalid:
      return false;
    case Validity::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* ValidityName(Validity v) {
  switch (v) {
    case Validity::kValid:
      return "valid";
    case Validity::kInvalid:
      return "invalid";
    case Validity::kUnknown:
      return "unknown";
  }
  return "unknown";
}

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// How long the search may try to explain what the unique-value check found invalid (not a
// key refuted by read sources: its own words say why).
constexpr std::chrono::seconds kExplainFor{2};
// The short search over orders before read assignments: at least this much memo an operation.
constexpr int64_t kProbeBytesPerOp = 256;

// Local value ids: canonical JSON texts, from the History's interned ids or from parsing.
class Values {
 public:
  explicit Values(const History& h) : h_(h), from_history_(h.StringCount(), internal::kNoValue) {}
  uint32_t OfHistory(uint32_t hid) {
    if (from_history_[hid] == internal::kNoValue) from_history_[hid] = OfText(h_.Str(hid));
    return from_history_[hid];
  }
  uint32_t OfText(const std::string& text) {
    auto it = ids_.find(text);
    if (it != ids_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(table_.texts.size());
    table_.texts.push_back(text);
    bool is_string = !text.empty() && text[0] == '"';
    table_.is_string.push_back(is_string);
    std::string decoded;
    if (is_string) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_string()) decoded = j.get<std::string>();
    }
    table_.strings.push_back(std::move(decoded));
    ids_.emplace(text, id);
    return id;
  }
  ValueTable& table() { return table_; }

 private:
  const History& h_;
  std::vector<uint32_t> from_history_;
  std::unordered_map<std::string, uint32_t> ids_;
  ValueTable table_;
};

Status OpError(const History& h, const Operation& op, const std::string& what) {
  return Status::InvalidArgument(h.source + ":" + std::to_string(op.invoke_line) + ": " + what);
}

struct KeyWork {
  uint32_t key = History::kNoKey;
  std::vector<LinOp> ops;
  int64_t dropped = 0;
  internal::ReadSources sources;  // register: values split by their possible writers
  SearchOutcome outcome;
  internal::AssignmentStats assignment;  // register: the search over read assignments, if tried
  double seconds = 0;
};

// Register: drops info ops whose written value nobody observes (no ok read of it, no cas
// expecting it): they can always be left out. Repeats until nothing changes.
void DropUnobservedInfo(KeyWork& w) {
  while (true) {
    std::unordered_set<uint32_t> observed;
    for (const LinOp& op : w.ops) {
      if (op.kind == RegisterModel::kRead) observed.insert(op.out);
      if (op.kind == RegisterModel::kCas) observed.insert(op.a);
    }
    size_t before = w.ops.size();
    std::erase_if(w.ops, [&](const LinOp& op) {
      if (op.required) return false;
      uint32_t written = op.kind == RegisterModel::kWrite ? op.a : op.b;
      return !observed.count(written);
    });
    w.dropped += static_cast<int64_t>(before - w.ops.size());
    if (w.ops.size() == before) return;
  }
}

Result<std::vector<uint32_t>> ArrayElements(Values& values, const History& h, const Operation& op,
                                            uint32_t hid, size_t expect) {
  auto j = nlohmann::json::parse(h.Str(hid), nullptr, false);
  if (!j.is_array() || (expect && j.size() != expect)) {
    return OpError(h, op,
                   "\"" + h.Str(op.f) + "\" needs an array value" +
                       (expect ? " of " + std::to_string(expect) + " elements" : "") + ", got " +
                       h.Str(hid));
  }
  std::vector<uint32_t> out;
  for (const auto& e : j) out.push_back(values.OfText(e.dump()));
  return out;
}

using CasArgs = std::unordered_map<uint32_t, std::pair<uint32_t, uint32_t>>;

// What one model needs of CheckLinearizable: its operations (in the order of its Kind enum), how
// an operation's arguments and output become a LinOp, and its search. The one place a model is
// chosen by name: adding a model is one entry here and its class in models.h.
struct ModelKind {
  std::string name;
  std::vector<std::string> ops;
  bool takes_initial = false;          // --initial: the register's first value
  bool drops_unobserved_info = false;  // DropUnobservedInfo applies (register)
  // Fills lo.a / lo.b / lo.out of `op` (lo.kind and lo.required are set); *is_read when the
  // operation only observes. An error names the operation.
  std::function<Status(Values&, const History&, const Operation&, LinOp&, bool*, CasArgs&)> encode;
  std::function<SearchOutcome(const ValueTable&, uint32_t initial, std::vector<LinOp>&,
                              const SearchLimits&)>
      search;
  // A decision without the search when the key's operations allow one (register: unique
  // values), else std::nullopt; empty for models that have none.
  std::function<std::optional<SearchOutcome>(const ValueTable&, uint32_t initial,
                                             const std::vector<LinOp>&)>
      fast = nullptr;
  // Values are split by the writes that may have produced them (read_sources.h, register).
  bool splits_by_source = false;
};

const std::vector<ModelKind>& Models() {
  static const std::vector<ModelKind> kModels = {
      {"register",
       {"read", "write", "cas"},
       true,
       true,
       [](Values& values, const History& h, const Operation& op, LinOp& lo, bool* is_read,
          CasArgs& cas_args) -> Status {
         if (lo.kind == RegisterModel::kRead) {
           lo.out = values.OfHistory(op.output);
           *is_read = true;
         } else if (lo.kind == RegisterModel::kWrite) {
           lo.a = values.OfHistory(op.value);
         } else {
           auto it = cas_args.find(op.value);
           if (it == cas_args.end()) {
             SB_ASSIGN_OR_RETURN(auto ab, ArrayElements(values, h, op, op.value, 2));
             it = cas_args.emplace(op.value, std::make_pair(ab[0], ab[1])).first;
           }
           lo.a = it->second.first;
           lo.b = it->second.second;
         }
         return Status::Ok();
       },
       [](const ValueTable& table, uint32_t initial, std::vector<LinOp>& ops,
          const SearchLimits& limits) {
         RegisterModel m(&table, initial);
         return internal::SearchKey(m, ops, limits);
       },
       internal::CheckUniqueValues,
       true},
      {"kv",
       {"get", "put", "append"},
       false,
       false,
       [](Values& values, const History& h, const Operation& op, LinOp& lo, bool* is_read,
          CasArgs&) -> Status {
         if (lo.kind == KvModel::kGet) {
           lo.out = values.OfHistory(op.output);
           *is_read = true;
           if (lo.required && !values.table().is_string[lo.out]) {
             return OpError(h, op, "get must return a string, got " + h.Str(op.output));
           }
         } else {
           lo.a = values.OfHistory(op.value);
           if (!values.table().is_string[lo.a]) {
             return OpError(h, op, h.Str(op.f) + " needs a string value, got " + h.Str(op.value));
           }
         }
         return Status::Ok();
       },
       [](const ValueTable& table, uint32_t, std::vector<LinOp>& ops, const SearchLimits& limits) {
         KvModel m(&table);
         return internal::SearchKey(m, ops, limits);
       }},
      {"mutex",
       {"acquire", "release"},
       false,
       false,
       [](Values&, const History&, const Operation&, LinOp&, bool*, CasArgs&) -> Status {
         return Status::Ok();
       },
       [](const ValueTable&, uint32_t, std::vector<LinOp>& ops, const SearchLimits& limits) {
         MutexModel m;
         return internal::SearchKey(m, ops, limits);
       }},
      {"set",
       {"add", "read"},
       false,
       false,
       [](Values& values, const History& h, const Operation& op, LinOp& lo, bool* is_read,
          CasArgs&) -> Status {
         if (lo.kind == SetModel::kAdd) {
           lo.a = values.OfHistory(op.value);
         } else {
           *is_read = true;
           if (lo.required) {
             SB_ASSIGN_OR_RETURN(auto elems, ArrayElements(values, h, op, op.output, 0));
             lo.out = values.OfHistory(op.output);
             values.table().arrays[lo.out] = std::move(elems);
           }
         }
         return Status::Ok();
       },
       [](const ValueTable& table, uint32_t, std::vector<LinOp>& ops, const SearchLimits& limits) {
         SetModel m(&table);
         return internal::SearchKey(m, ops, limits);
       }},
  };
  return kModels;
}

const ModelKind* FindModel(const std::string& name) {
  for (const ModelKind& m : Models()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// "read, write, cas"
std::string OpList(const ModelKind& m) {
  std::string out;
  for (const auto& f : m.ops) out += (out.empty() ? "" : ", ") + f;
  return out;
}

}  // namespace

std::vector<std::string> LinearizableModels() {
  std::vector<std::string> names;
  for (const ModelKind& m : Models()) names.push_back(m.name);
  return names;
}

Result<CheckResult> CheckLinearizable(const History& h, const LinearizableOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& model = o.model;
  const ModelKind* kind_of_model = FindModel(model);
  if (!kind_of_model) {
    std::string names;
    for (const ModelKind& m : Models()) {
      names += (names.empty() ? "" : ", ") + m.name + " (" + OpList(m) + ")";
    }
    return Status::InvalidArgument("unknown model \"" + model + "\"; the models: " + names);
  }
  const ModelKind& mk = *kind_of_model;
  Values values(h);
  uint32_t initial = values.OfText("null");
  if (!o.initial.empty()) {
    if (!mk.takes_initial) {
      return Status::InvalidArgument("--initial does not apply to the " + model + " model");
    }
    SB_ASSIGN_OR_RETURN(std::string canonical, records::CanonicalJson(o.initial));
    initial = values.OfText(canonical);
  }

  std::vector<int> f_kind(h.StringCount(), -2);  // by name id: kind, -1 unknown, -2 not seen
  std::vector<int64_t> key_slot(h.StringCount(), -1);
  CasArgs cas_args;
  std::vector<KeyWork> work;
  int64_t dropped_total = 0;
  for (size_t idx = 0; idx < h.ops.size(); ++idx) {
    const Operation& op = h.ops[idx];
    int& kind = f_kind[op.f];
    if (kind == -2) {
      kind = -1;
      for (size_t k = 0; k < mk.ops.size(); ++k) {
        if (mk.ops[k] == h.Str(op.f)) kind = static_cast<int>(k);
      }
    }
    if (kind < 0) {
      return OpError(h, op,
                     "operation \"" + h.Str(op.f) + "\" is not in the " + model + " model (" +
                         OpList(mk) + ")");
    }
    LinOp lo;
    lo.id = static_cast<uint32_t>(idx);
    lo.kind = static_cast<uint8_t>(kind);
    lo.required = op.result == Outcome::kOk;
    lo.call = op.invoke_event;
    lo.ret = lo.required ? op.complete_event : kNever;
    bool is_read = false;
    SB_RETURN_IF_ERROR(mk.encode(values, h, op, lo, &is_read, cas_args));
    // A failed operation did not happen; an indeterminate read constrains nothing.
    bool drop = op.result == Outcome::kFail || (is_read && !lo.required);
    int64_t& slot = key_slot[op.key];
    if (slot < 0) {
      slot = static_cast<int64_t>(work.size());
      work.emplace_back();
      work.back().key = op.key;
    }
    if (drop) {
      work[slot].dropped++;
    } else {
      work[slot].ops.push_back(lo);
    }
  }
  for (KeyWork& w : work) {
    if (mk.drops_unobserved_info) DropUnobservedInfo(w);
  }

  // Largest keys first, spread over the worker threads.
  std::vector<size_t> order(work.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return work[a].ops.size() > work[b].ops.size(); });
  std::atomic<int64_t> memory_used{0};
  std::atomic<bool> stop{false};
  SearchLimits limits;
  if (o.budget.timeout_s > 0) {
    limits.has_deadline = true;
    limits.deadline =
        started + std::chrono::microseconds(static_cast<int64_t>(o.budget.timeout_s * 1e6));
  }
  limits.max_memory = o.budget.max_memory_bytes;
  if (o.first_try_configurations >= 0) limits.first_try = o.first_try_configurations;
  limits.pinned_zones = o.pinned_zones;
  limits.held_zones = o.held_zones;
  limits.memory_used = &memory_used;
  limits.stop = &stop;
  const ValueTable& table = values.table();
  std::atomic<size_t> next_key{0};
  auto worker = [&]() {
    while (true) {
      size_t k = next_key.fetch_add(1);
      if (k >= order.size()) return;
      KeyWork& w = work[order[k]];
      if (stop.load()) {
        w.outcome.verdict = SearchVerdict::kCancelled;
        continue;
      }
      auto t0 = std::chrono::steady_clock::now();
      const ValueTable* key_table = &table;
      uint32_t key_initial = initial;
      int64_t refuted_id = -1;
      if (o.split_values && mk.splits_by_source &&
          static_cast<int64_t>(w.ops.size()) >= o.split_min_ops) {
        w.sources = internal::SplitBySource(table, initial, w.ops);
        if (w.sources.refuted >= 0) refuted_id = w.ops[w.sources.refuted].id;
        if (w.sources.split) {
          key_table = &w.sources.values;
          key_initial = w.sources.initial;
          // A write no read can have seen now has a value of its own: an info one goes.
          DropUnobservedInfo(w);
        }
      }
      // In call order, as the search keeps them: a fast verdict's op indices stay valid.
      std::sort(w.ops.begin(), w.ops.end(),
                [](const LinOp& a, const LinOp& b) { return a.call < b.call; });
      std::optional<SearchOutcome> fast;
      bool searched_first = false;  // `fast` is the search's own verdict, prefix and all
      if (refuted_id >= 0) {
        // No write can have produced what this op needs (read_sources.h): invalid, no search.
        fast.emplace();
        fast->verdict = SearchVerdict::kInvalid;
        for (size_t i = 0; i < w.ops.size(); ++i) {
          if (w.ops[i].id == refuted_id) fast->blocking = static_cast<int64_t>(i);
        }
        const LinOp& b = w.ops[fast->blocking];
        fast->needed_text = key_table->texts[RegisterModel::NeededValue(b)];
        fast->reason = w.sources.reason;
      } else if (o.unique_values && mk.fast) {
        fast = mk.fast(*key_table, key_initial, w.ops);
        // Values that repeat after the split: choose the write each read saw before searching
        // orders (source_assignment.h); what it gives up on goes to the search as before.
        // A key that suits read assignments gets a short search over orders first
        // (assign_probe_bytes of memo): it decides the histories it always decided in a few
        // milliseconds, where choosing sources took a tenth of a second or more (10k events,
        // values 0-999).
        if (!fast && o.assign_sources && mk.splits_by_source &&
            static_cast<int64_t>(w.ops.size()) >= o.split_min_ops) {
          // Long histories of few processes, which the search decides in about 160 bytes of
          // memo an operation (10 processes, 300k events: 20 MB), get a probe to match.
          const int64_t probe_bytes =
              o.assign_probe_bytes > 0
                  ? std::max(o.assign_probe_bytes,
                             kProbeBytesPerOp * static_cast<int64_t>(w.ops.size()))
                  : 0;
          int64_t probe_peak = 0;
          auto probe = [&]() -> std::optional<SearchOutcome> {
            if (probe_bytes == 0) return std::nullopt;
            std::atomic<int64_t> probe_used{0};
            SearchLimits short_search = limits;
            short_search.memory_used = &probe_used;
            short_search.max_memory =
                limits.max_memory > 0 ? std::min(limits.max_memory, probe_bytes) : probe_bytes;
            SearchOutcome probed = mk.search(*key_table, key_initial, w.ops, short_search);
            probe_peak = probed.peak_bytes;
            if (probed.verdict != SearchVerdict::kValid &&
                probed.verdict != SearchVerdict::kInvalid) {
              return std::nullopt;
            }
            return probed;
          };
          fast = internal::SearchSourceAssignment(*key_table, key_initial, w.ops, limits,
                                                  static_cast<uint64_t>(o.assign_max_calls),
                                                  &w.assignment, probe);
          searched_first = fast && !fast->assigned;
          if (fast && fast->assigned) fast->peak_bytes = std::max(fast->peak_bytes, probe_peak);
        }
      }
      if (fast && fast->verdict == SearchVerdict::kInvalid && refuted_id < 0 && !searched_first) {
        // The verdict stands; the search, given a few seconds, explains it better (the longest
        // linearizable prefix, for the report). If it cannot, the fast path's words do.
        // Not for a key refuted by read sources: its words already name the read, the write
        // that returned last and the op that overwrote it, and on such keys (2,000 ops or more)
        // the search mostly spent its whole 2 s without a prefix (issue 20: 10k events, 50 and
        // 100 processes, 0.2-0.3 s of CPU and 2 s of wall time; 0.04 s without it).
        SearchLimits explain = limits;
        const auto soon = std::chrono::steady_clock::now() + kExplainFor;
        explain.deadline = limits.has_deadline ? std::min(limits.deadline, soon) : soon;
        explain.has_deadline = true;
        SearchOutcome searched = mk.search(*key_table, key_initial, w.ops, explain);
        if (searched.verdict == SearchVerdict::kInvalid) {
          searched.unique_values = fast->unique_values;
          searched.assigned = fast->assigned;
          fast = std::move(searched);
        }
      }
      w.outcome = fast ? std::move(*fast) : mk.search(*key_table, key_initial, w.ops, limits);
      w.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // An invalid key decides the verdict; so does an exhausted budget (unknown at best).
      if (w.outcome.verdict != SearchVerdict::kValid) stop.store(true);
    }
  };
  int threads = o.budget.threads > 0 ? o.budget.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(work.size())));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }

  CheckResult r;
  uint64_t configurations = 0, zone_cuts = 0, held_cuts = 0;
  int64_t peak = 0;
  int64_t unique_value_keys = 0, split_keys = 0, refuted_keys = 0, checked_ops = 0;
  int64_t assigned_keys = 0, assignment_choices = 0, assignment_capped_keys = 0;
  uint64_t oracle_calls = 0, assignment_backtracks = 0;
  double assignment_seconds = 0;
  const KeyWork* invalid = nullptr;
  const KeyWork* exhausted = nullptr;
  for (size_t k : order) {
    const KeyWork& w = work[k];
    configurations += w.outcome.configurations;
    zone_cuts += w.outcome.zone_cuts;
    held_cuts += w.outcome.held_cuts;
    unique_value_keys += w.outcome.unique_values;
    split_keys += w.sources.split;
    refuted_keys += w.sources.refuted >= 0;
    assigned_keys += w.outcome.assigned;
    assignment_choices += w.assignment.choices;
    assignment_capped_keys += w.assignment.capped;
    oracle_calls += w.assignment.oracle_calls;
    assignment_backtracks += w.assignment.backtracks;
    assignment_seconds += w.assignment.seconds;
    dropped_total += w.dropped;
    checked_ops += static_cast<int64_t>(w.ops.size());
    peak = std::max(peak, w.outcome.peak_bytes);
    if (w.outcome.verdict == SearchVerdict::kInvalid && !invalid) invalid = &w;
    if ((w.outcome.verdict == SearchVerdict::kTimeout ||
         w.outcome.verdict == SearchVerdict::kMemory) &&
        !exhausted) {
      exhausted = &w;
    }
  }
  bool all_valid = true;
  for (const KeyWork& w : work) all_valid &= w.outcome.verdict == SearchVerdict::kValid;
  r.valid = invalid ? Validity::kInvalid : all_valid ? Validity::kValid : Validity::kUnknown;
  nlohmann::json& j = r.json;
  j["valid"] = ValidityJson(r.valid);
  j["model"] = model;
  j["keys"] = work.size();
  j["ops"] = h.ops.size();
  j["checked_ops"] = checked_ops;
  j["dropped_ops"] = dropped_total;
  j["configurations"] = configurations;
  j["zone_cuts"] = zone_cuts;
  j["held_cuts"] = held_cuts;
  j["unique_value_keys"] = unique_value_keys;
  j["split_keys"] = split_keys;
  j["refuted_keys"] = refuted_keys;
  j["assigned_keys"] = assigned_keys;
  j["assignment_choices"] = assignment_choices;
  j["oracle_calls"] = oracle_calls;
  j["assignment_backtracks"] = assignment_backtracks;
  j["assignment_capped_keys"] = assignment_capped_keys;
  j["assignment_seconds"] = assignment_seconds;
  j["peak_search_bytes"] = peak;
  j["budget"] = {{"timeout_s", o.budget.timeout_s},
                 {"max_memory_bytes", o.budget.max_memory_bytes}};
  auto key_text = [&](uint32_t key) {
    return key == History::kNoKey ? std::string("(no key)") : h.Str(key);
  };
  auto key_json = [&](uint32_t key) -> nlohmann::json {
    if (key == History::kNoKey) return nullptr;
    return h.Str(key);
  };
  if (invalid) {
    const KeyWork& w = *invalid;
    const SearchOutcome& so = w.outcome;
    nlohmann::json d;
    d["key"] = key_json(w.key);
    constexpr size_t kPrefixShown = 100;
    nlohmann::json prefix = nlohmann::json::array();
    size_t first = so.prefix.size() > kPrefixShown ? so.prefix.size() - kPrefixShown : 0;
    for (size_t i = first; i < so.prefix.size(); ++i) {
      prefix.push_back(h.OpJson(w.ops[so.prefix[i]].id));
    }
    d["prefix"] = prefix;
    d["prefix_length"] = so.prefix.size();
    d["prefix_truncated"] = first > 0;
    d["state"] = so.state_text;
    std::string text = "key " + key_text(w.key) + ": not linearizable. ";
    if (so.blocking >= 0) {
      const LinOp& b = w.ops[so.blocking];
      const Operation& bop = h.ops[b.id];
      d["op"] = h.OpJson(b.id);
      d["needed"] = so.needed_text;
      nlohmann::json conc = nlohmann::json::array();
      for (const LinOp& x : w.ops) {
        if (x.id != b.id && x.call < b.ret && x.ret > b.call && conc.size() < 50) {
          conc.push_back(h.OpJson(x.id));
        }
      }
      d["concurrent"] = conc;
      std::string desc = "op " + std::to_string(b.id) + " (process " + std::to_string(bop.process) +
                         ", " + h.Str(bop.f) + " " + h.Str(bop.value);
      if (bop.result == Outcome::kOk) desc += " -> " + h.Str(bop.output);
      desc += ", lines " + std::to_string(bop.invoke_line) + "-" +
              std::to_string(bop.complete_line) + ")";
      if (!so.reason.empty()) {
        text += desc + " cannot be placed: " + so.reason + ".";
      } else {
        text += "The longest linearizable order found places " + std::to_string(so.prefix.size()) +
                " operation(s) and leaves the state " + so.state_text + "; " + desc +
                " cannot be placed next: it needs " + so.needed_text +
                ", and no operation still open can produce that before it returns.";
      }
    } else {
      text += "No order of the operations is accepted by the " + model + " model.";
    }
    j["explanation"] = text;
    j["details"] = d;
  } else if (h.ops.empty()) {
    // Nothing was observed, so nothing was shown to hold: never a pass (issue 20).
    r.valid = Validity::kUnknown;
    j["valid"] = ValidityJson(r.valid);
    j["explanation"] = "unknown: no operations: a history with no operations proves nothing";
  } else if (r.valid == Validity::kUnknown) {
    std::string why = "the budget ran out";
    char budget_text[64];
    if (exhausted && exhausted->outcome.verdict == SearchVerdict::kTimeout) {
      snprintf(budget_text, sizeof budget_text, "the time budget (%g s) ran out",
               o.budget.timeout_s);
    } else {
      snprintf(budget_text, sizeof budget_text, "the memory budget (%.0f MB) ran out",
               o.budget.max_memory_bytes / 1048576.0);
    }
    if (exhausted) {
      why = std::string(budget_text) + " on key " + key_text(exhausted->key) + " (" +
            std::to_string(exhausted->ops.size()) + " operations)";
    }
    j["explanation"] = "unknown: " + why + "; no anomaly was found before that";
  }
  j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

}  // namespace splitbrain::checker

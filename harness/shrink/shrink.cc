#include "harness/shrink/shrink.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "harness/shrink/ddmin.h"

namespace splitbrain::harness::shrink {

namespace {

constexpr int64_t kNsPerMs = 1'000'000;

std::string List(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

class Shrinker {
 public:
  Shrinker(const TestPlan& plan, const Oracle& oracle,
           const std::function<void(const ShrinkStep&)>& progress)
      : base_(plan), oracle_(oracle), progress_(progress) {}

  ShrinkResult Run(const std::vector<ExplicitFault>& faults) {
    ShrinkResult r;
    cur_ = faults;
    limit_ = base_.time_limit_ns;
    r.faults_before = faults.size();
    r.time_limit_before_ns = limit_;
    r.original = Try(cur_, limit_);
    r.reproduced = r.original.failed;
    if (progress_) progress_({"the run's schedule made explicit", r.original});
    if (r.reproduced) {
      Faults();
      for (size_t i = 0; i < cur_.size(); ++i) {
        Entries(i);
        Duration(i);
        Targets(i);
      }
      TimeLimit();
    }
    r.minimal = Make(cur_, limit_);
    r.faults_after = r.minimal.nemesis.schedule.size();
    r.time_limit_after_ns = limit_;
    r.candidates = candidates_;
    r.steps = steps_;
    return r;
  }

 private:
  TestPlan Make(const std::vector<ExplicitFault>& f, int64_t limit) const {
    TestPlan p = base_;
    p.nemesis.faults.clear();  // an empty schedule must not fall back to the random mix
    p.nemesis.schedule = Flatten(f, limit);
    p.time_limit_ns = limit;
    return p;
  }
  // The oracle's verdict, once per distinct plan (a simulated one is exact; a lab one was
  // already run N times).
  Verdict Try(const std::vector<ExplicitFault>& f, int64_t limit) {
    const TestPlan p = Make(f, limit);
    const std::string key = PlanToYaml(p);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    ++candidates_;
    return cache_[key] = oracle_(p);
  }
  bool Accept(const std::vector<ExplicitFault>& f, int64_t limit, const std::string& what) {
    const Verdict v = Try(f, limit);
    if (!v.failed) return false;
    cur_ = f;
    limit_ = limit;
    steps_.push_back({what, v});
    if (progress_) progress_(steps_.back());
    return true;
  }
  std::string Name(size_t i) const {
    const ExplicitFault& f = cur_[i];
    return "fault " + std::to_string(f.id) + " (" + f.kind + " at " +
           ShowDuration(f.entries.front().at_ns) + ")";
  }

  // Fewer faults: none at all first (some bugs need none), then ddmin.
  void Faults() {
    const size_t n = cur_.size();
    if (n == 0) return;
    if (Accept({}, limit_, "faults " + std::to_string(n) + " → 0")) return;
    const std::vector<ExplicitFault> all = cur_;
    auto pick = [&](const std::vector<size_t>& idx) {
      std::vector<ExplicitFault> f;
      for (size_t i : idx) f.push_back(all[i]);
      return f;
    };
    const auto kept = Ddmin(n, [&](const std::vector<size_t>& idx) {
      return Try(pick(idx), limit_).failed;
    });
    if (kept.size() < n) {
      Accept(pick(kept), limit_,
             "faults " + std::to_string(n) + " → " + std::to_string(kept.size()) + " (ddmin)");
    }
  }
  // A fault carried by several entries (a ring's cuts): each entry removed, one at a time.
  void Entries(size_t i) {
    for (size_t e = 0; cur_[i].entries.size() > 1 && e < cur_[i].entries.size();) {
      auto f = cur_;
      f[i].entries.erase(f[i].entries.begin() + static_cast<std::ptrdiff_t>(e));
      if (!Accept(f, limit_, Name(i) + ": cut " + List(cur_[i].entries[e].from) + "↔" +
                                 List(cur_[i].entries[e].to) + " removed")) {
        ++e;
      }
    }
  }
  // Shorter: the shortest duration that still fails, by bisection (to within 1/32 of it,
  // 50 ms at least). A fault without one lasts to the end of the run.
  void Duration(size_t i) {
    if (cur_[i].instantaneous) return;
    const int64_t at = cur_[i].entries.front().at_ns;
    const int64_t was = cur_[i].entries.front().duration_ns;
    int64_t hi = was > 0 ? was : limit_ - at;
    if (hi <= kNsPerMs) return;
    int64_t lo = 0;
    const int64_t step = std::max<int64_t>(50 * kNsPerMs, hi / 32);
    while (hi - lo > step) {
      const int64_t mid = (lo + hi) / 2 / kNsPerMs * kNsPerMs;
      if (mid <= lo) break;
      auto f = cur_;
      for (auto& e : f[i].entries) e.duration_ns = mid;
      if (Try(f, limit_).failed) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    if (hi != (was > 0 ? was : limit_ - at)) {
      auto f = cur_;
      for (auto& e : f[i].entries) e.duration_ns = hi;
      Accept(f, limit_,
             Name(i) + ": duration " + (was > 0 ? ShowDuration(was) : "to the end") + " → " +
                 ShowDuration(hi));
    }
  }
  // Fewer targets: each node of targets, from and to removed in turn (at least one kept).
  void Targets(size_t i) {
    using Field = std::vector<std::string> ScheduledFault::*;
    for (size_t e = 0; e < cur_[i].entries.size(); ++e) {
      for (Field field : {static_cast<Field>(&ScheduledFault::targets),
                          static_cast<Field>(&ScheduledFault::from),
                          static_cast<Field>(&ScheduledFault::to)}) {
        for (size_t k = 0; (cur_[i].entries[e].*field).size() > 1 &&
                           k < (cur_[i].entries[e].*field).size();) {
          auto f = cur_;
          std::vector<std::string>& list = f[i].entries[e].*field;
          const std::string node = list[k];
          list.erase(list.begin() + static_cast<std::ptrdiff_t>(k));
          const char* what = field == static_cast<Field>(&ScheduledFault::targets) ? "targets"
                             : field == static_cast<Field>(&ScheduledFault::from) ? "from"
                                                                                   : "to";
          if (!Accept(f, limit_,
                      Name(i) + ": " + what + " " + List(cur_[i].entries[e].*field) + " → " +
                          List(list))) {
            ++k;
          }
        }
      }
    }
  }
  // A shorter run: the shortest time-limit that still fails, by bisection (to within 1/64 of
  // it, 100 ms at least). Faults starting past it drop out of the schedule.
  void TimeLimit() {
    const int64_t was = limit_;
    int64_t lo = 0, hi = limit_;
    const int64_t step = std::max<int64_t>(100 * kNsPerMs, hi / 64);
    while (hi - lo > step) {
      const int64_t mid = (lo + hi) / 2 / kNsPerMs * kNsPerMs;
      if (mid <= lo) break;
      if (Try(cur_, mid).failed) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    if (hi != was) Accept(cur_, hi, "time-limit " + ShowDuration(was) + " → " + ShowDuration(hi));
    // Faults that no longer start within the run are gone from the plan: drop them here too.
    std::vector<ExplicitFault> kept;
    for (const auto& f : cur_) {
      if (f.entries.front().at_ns < limit_) kept.push_back(f);
    }
    cur_ = kept;
  }

  TestPlan base_;
  const Oracle& oracle_;
  std::function<void(const ShrinkStep&)> progress_;
  std::map<std::string, Verdict> cache_;
  int candidates_ = 0;
  std::vector<ExplicitFault> cur_;
  int64_t limit_ = 0;
  std::vector<ShrinkStep> steps_;
};

}  // namespace

std::string ShowDuration(int64_t ns) {
  std::ostringstream os;
  if (ns % 1'000'000'000 == 0) {
    os << ns / 1'000'000'000 << "s";
  } else if (ns >= 1'000'000'000 && ns % 100'000'000 == 0) {
    os << static_cast<double>(ns) / 1e9 << "s";
  } else {
    os << ns / kNsPerMs << "ms";
  }
  return os.str();
}

ShrinkResult Shrink(const TestPlan& plan, const std::vector<ExplicitFault>& faults,
                    const Oracle& oracle, const std::function<void(const ShrinkStep&)>& progress) {
  Shrinker s(plan, oracle, progress);
  return s.Run(faults);
}

}  // namespace splitbrain::harness::shrink

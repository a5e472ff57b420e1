#include "workloads/generator.h"

namespace splitbrain::workloads {
namespace {

class FnGen : public Generator {
 public:
  FnGen(std::function<Op(Rng&, const Context&)> fn, Rng rng) : fn_(std::move(fn)), rng_(rng) {}
  GenResult Next(const Context& ctx) override { return GenResult::Of(fn_(rng_, ctx)); }

 private:
  std::function<Op(Rng&, const Context&)> fn_;
  Rng rng_;
};

class MixGen : public Generator {
 public:
  MixGen(std::vector<std::pair<double, GenPtr>> w, Rng rng) : w_(std::move(w)), rng_(rng) {}
  GenResult Next(const Context& ctx) override {
    int64_t earliest = -1;
    while (true) {
      double total = 0;
      for (const auto& [weight, g] : w_) total += g ? weight : 0;
      if (total <= 0) return earliest >= 0 ? GenResult::Pending(earliest) : GenResult::Exhausted();
      double x = rng_.Double() * total;
      size_t pick = 0;
      for (size_t i = 0; i < w_.size(); ++i) {
        if (!w_[i].second) continue;
        pick = i;
        if (x < w_[i].first) break;
        x -= w_[i].first;
      }
      GenResult r = w_[pick].second->Next(ctx);
      if (r.kind == GenResult::kExhausted) {
        w_[pick].second.reset();
        continue;
      }
      return r;
    }
  }

 private:
  std::vector<std::pair<double, GenPtr>> w_;
  Rng rng_;
};

class LimitGen : public Generator {
 public:
  LimitGen(int64_t n, GenPtr g) : left_(n), g_(std::move(g)) {}
  GenResult Next(const Context& ctx) override {
    if (left_ <= 0) return GenResult::Exhausted();
    GenResult r = g_->Next(ctx);
    if (r.kind == GenResult::kOp) --left_;
    return r;
  }

 private:
  int64_t left_;
  GenPtr g_;
};

class TimeLimitGen : public Generator {
 public:
  TimeLimitGen(int64_t end, GenPtr g) : end_(end), g_(std::move(g)) {}
  GenResult Next(const Context& ctx) override {
    if (ctx.time_ns >= end_) return GenResult::Exhausted();
    GenResult r = g_->Next(ctx);
    if (r.kind == GenResult::kPending && r.wake_ns >= end_) return GenResult::Exhausted();
    return r;
  }

 private:
  int64_t end_;
  GenPtr g_;
};

class StaggerGen : public Generator {
 public:
  StaggerGen(int64_t mean, GenPtr g, Rng rng, std::vector<Window> bursts, double factor)
      : mean_(mean), g_(std::move(g)), rng_(rng), bursts_(std::move(bursts)), factor_(factor) {}
  GenResult Next(const Context& ctx) override {
    if (next_ < 0) next_ = ctx.time_ns;
    if (ctx.time_ns < next_) return GenResult::Pending(next_);
    GenResult r = g_->Next(ctx);
    if (r.kind == GenResult::kOp) {
      const int64_t mean = MeanAt(ctx.time_ns);
      // Never let a backlog build up: a slow interpreter does not cause a burst afterwards.
      next_ = std::max(next_, ctx.time_ns - mean) +
              static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(2 * mean) + 1));
    }
    return r;
  }

 private:
  int64_t MeanAt(int64_t t) const {
    for (const Window& w : bursts_) {
      if (t >= w.start_ns && t < w.end_ns) {
        return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(mean_) / factor_));
      }
    }
    return mean_;
  }

  int64_t mean_;
  GenPtr g_;
  Rng rng_;
  std::vector<Window> bursts_;
  double factor_;
  int64_t next_ = -1;
};

class PhasesGen : public Generator {
 public:
  explicit PhasesGen(std::vector<GenPtr> p) : p_(std::move(p)) {}
  GenResult Next(const Context& ctx) override {
    while (i_ < p_.size()) {
      if (draining_) {
        if (ctx.in_flight > 0) return GenResult::Pending(ctx.time_ns + 1'000'000);
        draining_ = false;
        ++i_;
        continue;
      }
      GenResult r = p_[i_]->Next(ctx);
      if (r.kind != GenResult::kExhausted) return r;
      draining_ = true;
    }
    return GenResult::Exhausted();
  }

 private:
  std::vector<GenPtr> p_;
  size_t i_ = 0;
  bool draining_ = false;
};

class OnceGen : public Generator {
 public:
  explicit OnceGen(std::vector<Op> ops) : ops_(std::move(ops)) {}
  GenResult Next(const Context&) override {
    if (i_ >= ops_.size()) return GenResult::Exhausted();
    return GenResult::Of(ops_[i_++]);
  }

 private:
  std::vector<Op> ops_;
  size_t i_ = 0;
};

}  // namespace

GenPtr FromFn(std::function<Op(Rng&, const Context&)> fn, Rng rng) {
  return std::make_unique<FnGen>(std::move(fn), rng);
}
GenPtr Mix(std::vector<std::pair<double, GenPtr>> weighted, Rng rng) {
  return std::make_unique<MixGen>(std::move(weighted), rng);
}
GenPtr Limit(int64_t n, GenPtr g) { return std::make_unique<LimitGen>(n, std::move(g)); }
GenPtr TimeLimit(int64_t end_ns, GenPtr g) {
  return std::make_unique<TimeLimitGen>(end_ns, std::move(g));
}
GenPtr Stagger(int64_t mean_ns, GenPtr g, Rng rng) {
  return std::make_unique<StaggerGen>(mean_ns, std::move(g), rng, std::vector<Window>{}, 1.0);
}
GenPtr Stagger(int64_t mean_ns, GenPtr g, Rng rng, std::vector<Window> bursts, double factor) {
  return std::make_unique<StaggerGen>(mean_ns, std::move(g), rng, std::move(bursts),
                                      std::max(1.0, factor));
}
GenPtr Phases(std::vector<GenPtr> phases) { return std::make_unique<PhasesGen>(std::move(phases)); }
GenPtr Once(std::vector<Op> ops) { return std::make_unique<OnceGen>(std::move(ops)); }

}  // namespace splitbrain::workloads

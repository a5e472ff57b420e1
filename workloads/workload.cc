#include "workloads/workload.h"

#include <atomic>

namespace splitbrain::workloads {
namespace {

using nlohmann::json;

std::string KeyName(const std::string& prefix, uint64_t i) { return prefix + std::to_string(i); }

class RegisterWorkload : public Workload {
 public:
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    const int keys = config_.keys;
    const double reads = config_.read_fraction;
    const int values = config_.values;
    // Unique values: the next fresh value, and each key's latest values (what a cas expects).
    struct Fresh {
      int64_t next = 0;
      std::vector<std::vector<int64_t>> latest;
    };
    auto fresh = std::make_shared<Fresh>();
    fresh->latest.resize(keys);
    return FromFn(
        [keys, reads, values, fresh](Rng& r, const Context&) {
          Op op;
          const uint64_t k = r.Uniform(keys);
          op.key = KeyName("r", k);
          if (r.Chance(reads)) {
            op.f = "read";
          } else if (values > 0) {
            if (r.Chance(0.5)) {
              op.f = "write";
              op.value = r.Uniform(values);
            } else {
              op.f = "cas";
              op.value = json::array({r.Uniform(values), r.Uniform(values)});
            }
          } else {
            std::vector<int64_t>& latest = fresh->latest[k];
            const bool cas = r.Chance(0.5) && !latest.empty();
            const int64_t v = fresh->next++;
            if (cas) {
              op.f = "cas";
              op.value = json::array({latest[latest.size() - 1 - r.Uniform(latest.size())], v});
            } else {
              op.f = "write";
              op.value = v;
            }
            latest.push_back(v);
            if (latest.size() > 3) latest.erase(latest.begin());
          }
          return op;
        },
        rng);
  }
  std::vector<Op> FinalReads() const override {
    std::vector<Op> out;
    for (int i = 0; i < config_.keys; ++i) out.push_back({"read", KeyName("r", i), nullptr});
    return out;
  }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "read") return {{"op", "read"}, {"key", *op.key}};
    if (op.f == "write") return {{"op", "write"}, {"key", *op.key}, {"value", op.value}};
    return {{"op", "cas"}, {"key", *op.key}, {"expected", op.value[0]}, {"value", op.value[1]}};
  }
};

class KvWorkload : public Workload {
 public:
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    const int keys = config_.keys;
    const double reads = config_.read_fraction;
    auto counter = std::make_shared<int64_t>(0);
    return FromFn(
        [keys, reads, counter](Rng& r, const Context&) {
          Op op;
          op.key = KeyName("k", r.Uniform(keys));
          if (r.Chance(reads)) {
            op.f = "get";
          } else {
            // Unique tokens keep the kv model's search small: each append is identifiable.
            op.f = r.Chance(0.05) ? "put" : "append";
            op.value = std::to_string(++*counter) + ";";
          }
          return op;
        },
        rng);
  }
  std::vector<Op> FinalReads() const override {
    std::vector<Op> out;
    for (int i = 0; i < config_.keys; ++i) out.push_back({"get", KeyName("k", i), nullptr});
    return out;
  }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "get") return {{"op", "get"}, {"key", *op.key}};
    return {{"op", op.f}, {"key", *op.key}, {"value", op.value}};
  }
};

class SetWorkload : public Workload {
 public:
  // Elements go to sets of kPerKey elements each ("s0", "s1", ...): reads return one small set,
  // not everything added so far, so the history grows linearly with the run, not quadratically.
  static constexpr int64_t kPerKey = 500;
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    auto counter = added_;
    const double reads = std::min(config_.read_fraction, 0.1);
    return FromFn(
        [counter, reads](Rng& r, const Context&) {
          const int64_t n = counter->load();
          if (n > 0 && r.Chance(reads)) {
            // The set being filled now, or the one before it.
            int64_t k =
                std::max<int64_t>(0, (n - 1) / kPerKey - static_cast<int64_t>(r.Uniform(2)));
            return Op{"read", "s" + std::to_string(k), nullptr};
          }
          const int64_t v = counter->fetch_add(1) + 1;
          return Op{"add", "s" + std::to_string((v - 1) / kPerKey), json(v)};
        },
        rng);
  }
  std::vector<Op> FinalReads() const override {
    std::vector<Op> out;
    const int64_t n = added_->load();
    for (int64_t k = 0; k <= std::max<int64_t>(0, n - 1) / kPerKey; ++k) {
      out.push_back({"read", "s" + std::to_string(k), nullptr});
    }
    return out;
  }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "read") return {{"op", "set-read"}, {"key", *op.key}};
    return {{"op", "set-add"}, {"key", *op.key}, {"value", op.value}};
  }

 private:
  // Elements handed out so far (shared with the generator; final reads cover every set).
  std::shared_ptr<std::atomic<int64_t>> added_ = std::make_shared<std::atomic<int64_t>>(0);
};

// A replicated log (issue 16): every operation appends a value never sent before to one log
// ("queue"); the final reads read the whole log, each beginning at another member ("reader" i
// begins at member i mod the member count), so that the checker compares the order members give.
class QueueWorkload : public Workload {
 public:
  static constexpr int kReaders = 3;
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    auto counter = std::make_shared<int64_t>(0);
    return FromFn(
        [counter](Rng&, const Context&) {
          return Op{"enqueue", std::nullopt, json(++*counter)};
        },
        rng);
  }
  std::vector<json> SetupCommands() const override {
    return {{{"op", "queue-create"}, {"key", "queue"}}};
  }
  std::vector<Op> FinalReads() const override {
    std::vector<Op> out;
    for (int i = 0; i < kReaders; ++i) out.push_back({"read", std::nullopt, json(i)});
    return out;
  }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "read") return {{"op", "queue-read"}, {"key", "queue"}, {"reader", op.value}};
    return {{"op", "enqueue"}, {"key", "queue"}, {"value", op.value}};
  }
};

class CounterWorkload : public Workload {
 public:
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    const double reads = config_.read_fraction;
    return FromFn(
        [reads](Rng& r, const Context&) {
          if (r.Chance(reads)) return Op{"read", std::nullopt, nullptr};
          return Op{"add", std::nullopt, json(r.Range(1, 5))};
        },
        rng);
  }
  std::vector<Op> FinalReads() const override { return {{"read", std::nullopt, nullptr}}; }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "read") return {{"op", "counter-read"}, {"key", "counter"}};
    return {{"op", "counter-add"}, {"key", "counter"}, {"value", op.value}};
  }
  json OkValue(const Op& op, const json& node_value) const override {
    return op.f == "add" ? op.value : node_value;
  }
};

class BankWorkload : public Workload {
 public:
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    const int accounts = config_.accounts;
    const double reads = config_.read_fraction;
    const int64_t max_amount = std::max<int64_t>(1, config_.initial_balance / 4);
    return FromFn(
        [accounts, reads, max_amount](Rng& r, const Context&) {
          if (r.Chance(reads)) return Op{"read", std::nullopt, nullptr};
          uint64_t from = r.Uniform(accounts);
          uint64_t to = (from + 1 + r.Uniform(accounts - 1)) % accounts;
          return Op{"transfer", std::nullopt,
                    json{{"from", KeyName("a", from)},
                         {"to", KeyName("a", to)},
                         {"amount", r.Range(1, max_amount)}}};
        },
        rng);
  }
  std::vector<json> SetupCommands() const override {
    json accounts = json::object();
    for (int i = 0; i < config_.accounts; ++i) accounts[KeyName("a", i)] = config_.initial_balance;
    return {{{"op", "bank-init"}, {"accounts", accounts}}};
  }
  std::vector<Op> FinalReads() const override { return {{"read", std::nullopt, nullptr}}; }
  json ToCommand(const Op& op, const ProcessState&) const override {
    if (op.f == "read") return {{"op", "bank-read"}};
    return {{"op", "transfer"},
            {"from", op.value["from"]},
            {"to", op.value["to"]},
            {"amount", op.value["amount"]}};
  }
  json OkValue(const Op& op, const json& node_value) const override {
    return op.f == "read" ? node_value : op.value;
  }
  int64_t BankTotal() const override { return config_.accounts * config_.initial_balance; }
};

class LockWorkload : public Workload {
 public:
  using Workload::Workload;
  GenPtr MakeGenerator(Rng rng) const override {
    const int keys = config_.keys;
    return FromFn(
        [keys](Rng& r, const Context&) {
          return Op{"acquire", KeyName("l", r.Uniform(keys)), nullptr};
        },
        rng);
  }
  void Prepare(Op& op, const ProcessState& st) const override {
    // A process that holds a lock releases it next, with the token it got.
    if (!st.held_token.is_null()) op = Op{"release", st.held_key, st.held_token};
  }
  std::vector<Op> CleanupOps(const ProcessState& st) const override {
    if (st.held_token.is_null()) return {};
    return {Op{"release", st.held_key, st.held_token}};
  }
  std::vector<Op> FinalReads() const override { return {}; }
  json ToCommand(const Op& op, const ProcessState& st) const override {
    const std::string owner = "p" + std::to_string(st.process);
    if (op.f == "acquire") {
      return {
          {"op", "acquire"}, {"key", *op.key}, {"owner", owner}, {"ttl_ms", config_.lock_ttl_ms}};
    }
    return {{"op", "release"}, {"key", *op.key}, {"owner", owner}, {"token", op.value}};
  }
  json OkValue(const Op& op, const json& node_value) const override {
    return op.f == "acquire" ? node_value : op.value;
  }
  void Observe(const Op& op, records::Outcome outcome, const json& value,
               ProcessState& st) const override {
    if (op.f == "acquire" && outcome == records::Outcome::kOk) {
      st.held_token = value;
      st.held_key = *op.key;
    } else if (op.f == "release" && outcome != records::Outcome::kUnknown) {
      // ok: released; fail: the node says we do not hold it (expired): either way, not held.
      st.held_token = nullptr;
    }
  }
  int64_t HoldAfterNs(const Op& op, records::Outcome outcome) const override {
    return op.f == "acquire" && outcome == records::Outcome::kOk ? config_.lock_hold_ms * 1'000'000
                                                                 : 0;
  }
};

}  // namespace

void Workload::Prepare(Op&, const ProcessState&) const {}

json Workload::OkValue(const Op& op, const json& node_value) const {
  // Reads return what the node read; writes repeat their argument (docs/FORMAT.md).
  if (op.f == "read" || op.f == "get") return node_value;
  return op.value;
}

std::vector<Op> Workload::CleanupOps(const ProcessState&) const { return {}; }

int64_t Workload::HoldAfterNs(const Op&, records::Outcome) const { return 0; }

void Workload::Observe(const Op&, records::Outcome, const json&, ProcessState&) const {}

namespace {

template <typename W>
std::unique_ptr<Workload> Make(const WorkloadConfig& c) {
  return std::unique_ptr<Workload>(new W(c));
}

Status ValidateBank(const WorkloadConfig& c) {
  if (c.accounts < 2) return Status::InvalidArgument("bank needs at least 2 accounts");
  return Status::Ok();
}

// Every workload but register and kv is judged by the checker of its own name.
std::vector<std::string> Judged(const std::string& by) {
  return {by, "raft-invariants", "availability", "stats"};
}

}  // namespace

const std::vector<WorkloadKind>& WorkloadKinds() {
  static const std::vector<WorkloadKind> kKinds = {
      {"register", "register", Judged("linearizable"), &Make<RegisterWorkload>},
      {"kv", "kv", Judged("linearizable"), &Make<KvWorkload>},
      {"set", "set", Judged("set"), &Make<SetWorkload>},
      {"counter", "counter", Judged("counter"), &Make<CounterWorkload>},
      {"queue", "queue", Judged("queue"), &Make<QueueWorkload>},
      {"bank", "bank", Judged("bank"), &Make<BankWorkload>, &ValidateBank},
      {"lock", "mutex", Judged("lock"), &Make<LockWorkload>},
  };
  return kKinds;
}

const WorkloadKind* FindWorkloadKind(const std::string& name) {
  for (const auto& k : WorkloadKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const std::vector<std::string>& WorkloadNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& k : WorkloadKinds()) names.push_back(k.name);
    return names;
  }();
  return kNames;
}

Result<std::unique_ptr<Workload>> MakeWorkload(const WorkloadConfig& c) {
  const WorkloadKind* kind = FindWorkloadKind(c.name);
  if (!kind) return Status::InvalidArgument("unknown workload '" + c.name + "'");
  if (kind->validate) SB_RETURN_IF_ERROR(kind->validate(c));
  return kind->make(c);
}

}  // namespace splitbrain::workloads

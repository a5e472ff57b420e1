#include "checker/history_gen.h"

#include <algorithm>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace splitbrain::checker {

namespace {

enum class Kind { kRead, kWrite, kCas };

struct SimOp {
  int64_t process;
  Kind kind;
  int key;
  int64_t a = 0, b = 0;  // write: a; cas: a -> b
  int64_t invoke, complete, lin;
  bool crashed = false;  // info
  bool open = false;     // no completion line
  bool refused = false;  // fail without effect
  bool takes_effect = true;
  bool ok = true;           // cas matched / op succeeded
  int64_t read_value = -1;  // -1 = null
  std::string read_text;    // kv
};

std::string ValueText(int64_t v) { return v < 0 ? "null" : std::to_string(v); }

}  // namespace

History GenerateRegisterHistory(const GenOptions& o) {
  Rng rng(o.seed);
  std::vector<SimOp> ops;
  ops.reserve(static_cast<size_t>(o.ops));
  // Clients: (free time, slot); a crashed client's slot continues under a fresh process id.
  using Slot = std::pair<int64_t, int>;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> free;
  std::vector<int64_t> slot_process(o.processes);
  for (int s = 0; s < o.processes; ++s) {
    slot_process[s] = s;
    free.push({static_cast<int64_t>(rng.Uniform(1000)), s});
  }
  int64_t next_process = o.processes;
  int64_t next_fresh = 0;
  std::vector<std::vector<int64_t>> written(std::max(1, o.keys));
  const double cas_share = std::max(0.0, 1.0 - o.read_share - o.write_share);
  for (int64_t n = 0; n < o.ops; ++n) {
    auto [t, slot] = free.top();
    free.pop();
    SimOp op;
    op.process = slot_process[slot];
    op.key = o.keys > 1 ? static_cast<int>(rng.Uniform(o.keys)) : 0;
    double x = rng.Double();
    op.kind = x < o.read_share                   ? Kind::kRead
              : x < o.read_share + o.write_share ? Kind::kWrite
                                                 : Kind::kCas;
    if (cas_share <= 0 && op.kind == Kind::kCas) op.kind = Kind::kWrite;
    auto draw = [&]() -> int64_t {
      if (o.values > 0) return static_cast<int64_t>(rng.Uniform(o.values));
      return next_fresh++;
    };
    if (op.kind == Kind::kWrite) {
      op.a = draw();
      written[op.key].push_back(op.a);
    } else if (op.kind == Kind::kCas) {
      auto& w = written[op.key];
      if (o.values > 0 || w.empty()) {
        op.a = o.values > 0 ? draw() : -1;
      } else {
        // Fresh values: expect one of the latest values written, so some cas succeed.
        size_t back = std::min<size_t>(w.size(), 3);
        op.a = w[w.size() - 1 - rng.Uniform(back)];
      }
      op.b = draw();
      written[op.key].push_back(op.b);
    }
    int64_t start = t * 1000 + static_cast<int64_t>(rng.Uniform(1000));
    int64_t dur = (1 + static_cast<int64_t>(rng.Uniform(o.max_duration))) * 1000;
    op.invoke = start;
    op.complete = start + dur;
    op.lin = start + 1 + static_cast<int64_t>(rng.Uniform(dur - 1));
    if (rng.Chance(o.fail_share)) {
      op.refused = true;
      op.takes_effect = false;
    } else if (rng.Chance(o.info_share)) {
      op.crashed = true;
      op.takes_effect = rng.Chance(0.5);
      // An indeterminate operation may take effect long after its client gave up.
      op.lin = start + 1 + static_cast<int64_t>(rng.Uniform(dur * 3));
      op.open = rng.Chance(0.3);
      slot_process[slot] = next_process++;
    }
    ops.push_back(op);
    int64_t think = static_cast<int64_t>(rng.Uniform(o.max_think + 1));
    free.push({op.complete / 1000 + 1 + think, slot});
  }
  // Run the register: effects in linearization order.
  std::vector<size_t> by_lin;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].takes_effect) by_lin.push_back(i);
  }
  std::sort(by_lin.begin(), by_lin.end(),
            [&](size_t a, size_t b) { return ops[a].lin < ops[b].lin; });
  std::vector<int64_t> reg(std::max(1, o.keys), -1);
  std::vector<std::string> sreg(std::max(1, o.keys));
  for (size_t i : by_lin) {
    SimOp& op = ops[i];
    if (o.kv) {
      std::string& v = sreg[op.key];
      if (op.kind == Kind::kRead) op.read_text = v;
      if (op.kind == Kind::kWrite) v = std::to_string(op.a);
      if (op.kind == Kind::kCas) v += std::to_string(op.b) + ",";
      continue;
    }
    int64_t& v = reg[op.key];
    switch (op.kind) {
      case Kind::kRead:
        op.read_value = v;
        break;
      case Kind::kWrite:
        v = op.a;
        break;
      case Kind::kCas:
        if (v == op.a) {
          v = op.b;
        } else {
          op.ok = false;
        }
        break;
    }
  }
  // Emit the events in time order.
  struct Ev {
    int64_t time;
    size_t op;
    bool invoke;
  };
  std::vector<Ev> evs;
  evs.reserve(ops.size() * 2);
  for (size_t i = 0; i < ops.size(); ++i) {
    evs.push_back({ops[i].invoke, i, true});
    if (!ops[i].open) evs.push_back({ops[i].complete, i, false});
  }
  std::sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    return std::tie(a.time, a.op, a.invoke) < std::tie(b.time, b.op, b.invoke);
  });
  HistoryBuilder b("generated-" + std::to_string(o.seed));
  b.history().ops.reserve(ops.size());
  std::vector<std::string> keys;
  for (int k = 0; k < std::max(1, o.keys); ++k) keys.push_back(std::to_string(k));
  int64_t line = 0;
  for (const Ev& e : evs) {
    const SimOp& op = ops[e.op];
    ++line;
    const char* f = op.kind == Kind::kRead ? "read" : op.kind == Kind::kWrite ? "write" : "cas";
    std::string arg = op.kind == Kind::kRead ? "null"
                      : op.kind == Kind::kWrite
                          ? ValueText(op.a)
                          : "[" + ValueText(op.a) + "," + ValueText(op.b) + "]";
    std::string result = op.kind == Kind::kRead ? ValueText(op.read_value) : arg;
    if (o.kv) {
      f = op.kind == Kind::kRead ? "get" : op.kind == Kind::kWrite ? "put" : "append";
      arg = op.kind == Kind::kRead    ? "null"
            : op.kind == Kind::kWrite ? "\"" + std::to_string(op.a) + "\""
                                      : "\"" + std::to_string(op.b) + ",\"";
      result = op.kind == Kind::kRead ? nlohmann::json(op.read_text).dump() : arg;
    }
    Status s;
    if (e.invoke) {
      s = b.Invoke(op.process, f, o.keys > 1 ? &keys[op.key] : nullptr, arg, e.time, line);
    } else if (op.crashed) {
      s = b.Complete(op.process, Outcome::kUnknown, f, op.kind == Kind::kRead ? "null" : arg,
                     e.time, line);
    } else if (op.refused || !op.ok) {
      s = b.Complete(op.process, Outcome::kFail, f, op.kind == Kind::kRead ? "null" : arg, e.time,
                     line);
    } else {
      s = b.Complete(op.process, Outcome::kOk, f, result, e.time, line);
    }
    if (!s.ok()) {
      std::cerr << "history_gen: " << s << "\n";
      std::abort();
    }
  }
  return b.Finish();
}

bool InjectStaleRead(History* h, Rng& rng, bool lost_write) {
  auto& ops = h->ops;
  uint32_t read = h->Find("read"), write = h->Find("write"), cas = h->Find("cas");
  std::vector<size_t> reads, writers;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].result != Outcome::kOk) continue;
    if (ops[i].f == read) reads.push_back(i);
    if (ops[i].f == write || ops[i].f == cas) writers.push_back(i);
  }
  auto written = [&](const Operation& op) -> std::string {
    if (op.f == write) return h->Str(op.value);
    auto j = nlohmann::json::parse(h->Str(op.value));
    return j[1].dump();
  };
  for (size_t attempt = 0; attempt < 50 && !reads.empty(); ++attempt) {
    const size_t r = reads[rng.Uniform(reads.size())];
    const Operation& R = ops[r];
    // B: the ok writer of R's key that completed last before R began.
    int64_t bi = -1;
    for (size_t w : writers) {
      if (ops[w].key == R.key && ops[w].complete_event < R.invoke_event &&
          (bi < 0 || ops[w].complete_event > ops[bi].complete_event)) {
        bi = static_cast<int64_t>(w);
      }
    }
    if (bi < 0) continue;
    const Operation& B = ops[bi];
    std::string b_value = written(B);
    if (lost_write && h->Str(R.output) != b_value) continue;
    for (size_t w : writers) {
      const Operation& A = ops[w];
      if (A.key == R.key && A.complete_event < B.invoke_event && written(A) != b_value) {
        ops[r].output = h->Intern(written(A));
        return true;
      }
    }
  }
  return false;
}

std::string HistoryToJsonl(const History& h) {
  std::vector<std::string> lines(static_cast<size_t>(h.events));
  for (const Operation& op : h.ops) {
    nlohmann::json inv;
    inv["process"] = op.process;
    inv["type"] = "invoke";
    inv["f"] = h.Str(op.f);
    if (op.key != History::kNoKey) inv["key"] = h.Str(op.key);
    inv["value"] = h.Json(op.value);
    if (op.invoke_time >= 0) inv["time"] = op.invoke_time;
    lines[op.invoke_event] = inv.dump();
    if (op.complete_event >= 0) {
      nlohmann::json c = inv;
      c["type"] = HistoryType(op.result);
      if (op.result == Outcome::kOk) c["value"] = h.Json(op.output);
      if (op.complete_time >= 0) {
        c["time"] = op.complete_time;
      } else {
        c.erase("time");
      }
      lines[op.complete_event] = c.dump();
    }
  }
  std::string out;
  for (auto& l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace splitbrain::checker

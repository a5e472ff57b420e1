#include "checker/brute_force.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace splitbrain::checker {

namespace {

struct BfOp {
  std::string f, key, value, out, expected, next;
  bool ok;
  int64_t call, ret;  // ret = huge for info
};

struct Bf {
  bool kv = false;
  std::vector<BfOp> ops;
  std::set<std::pair<uint32_t, std::map<std::string, std::string>>> seen;

  bool Dfs(uint32_t placed, std::map<std::string, std::string>& state) {
    bool all_ok = true;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].ok && !(placed >> i & 1)) all_ok = false;
    }
    if (all_ok) return true;
    if (!seen.insert({placed, state}).second) return false;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (placed >> i & 1) continue;
      // Every ok op that returned before i was called must already be placed.
      bool ready = true;
      for (size_t j = 0; j < ops.size(); ++j) {
        if (j != i && ops[j].ok && ops[j].ret < ops[i].call && !(placed >> j & 1)) ready = false;
      }
      if (!ready) continue;
      const BfOp& op = ops[i];
      auto it = state.find(op.key);
      std::string cur = it == state.end() ? (kv ? "" : "null") : it->second;
      std::string saved = cur;
      bool legal = true;
      if (kv) {
        if (op.f == "get") {
          legal = !op.ok || op.out == cur;
        } else if (op.f == "put") {
          state[op.key] = op.value;
        } else {
          state[op.key] = cur + op.value;
        }
      } else if (op.f == "read") {
        legal = !op.ok || op.out == cur;
      } else if (op.f == "write") {
        state[op.key] = op.value;
      } else {
        legal = op.expected == cur;
        if (legal) state[op.key] = op.next;
      }
      if (legal && Dfs(placed | (1u << i), state)) return true;
      state[op.key] = saved;
    }
    return false;
  }
};

}  // namespace

static bool Run(const History& h, bool kv) {
  Bf bf;
  bf.kv = kv;
  for (const Operation& op : h.ops) {
    if (op.result == Outcome::kFail) continue;
    BfOp b;
    b.f = h.Str(op.f);
    b.key = op.key == History::kNoKey ? "" : h.Str(op.key);
    b.value = h.Str(op.value);
    b.out = h.Str(op.output);
    b.ok = op.result == Outcome::kOk;
    b.call = op.invoke_event;
    b.ret = b.ok ? op.complete_event : INT64_MAX;
    if (kv) {
      auto v = nlohmann::json::parse(b.value);
      b.value = v.is_string() ? v.get<std::string>() : "";
      auto out = nlohmann::json::parse(b.out);
      b.out = out.is_string() ? out.get<std::string>() : "\x01not a string";
    } else if (b.f == "cas") {
      auto j = nlohmann::json::parse(b.value);
      b.expected = j[0].dump();
      b.next = j[1].dump();
    }
    bf.ops.push_back(b);
  }
  if (bf.ops.size() > 30) std::abort();
  std::map<std::string, std::string> state;
  return bf.Dfs(0, state);
}

bool BruteForceLinearizable(const History& h) { return Run(h, false); }
bool BruteForceLinearizableKv(const History& h) { return Run(h, true); }

}  // namespace splitbrain::checker

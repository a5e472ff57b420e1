#include "results/test_store.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <system_error>
#include <vector>

#include "common/rng.h"
#include "nlohmann/json.hpp"
#include "results/run_data.h"

namespace splitbrain::results {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Event {
  int64_t time;
  int64_t seq;  // tie-break: keeps an op's invoke before its completion
  json line;
};

// [[from, to], ...] as JSON arrays (a braced list of string pairs would become an object).
json Links(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json links = json::array();
  for (const auto& [from, to] : pairs) links.push_back(json::array({from, to}));
  return links;
}

}  // namespace

Status WriteTestRun(const fs::path& run_dir, const TestRunOptions& o) {
  std::error_code ec;
  fs::create_directories(run_dir / "nodes", ec);
  if (ec) return Status::IoError(run_dir.string() + ": " + ec.message());
  Rng rng(o.seed);

  // Clients: each runs ops back to back; a process that gets `info` is replaced by a new id.
  // Small runs are spread over at least 20 s so they see several faults.
  const int64_t per_process = std::max<int64_t>(1, o.ops / o.processes);
  const int64_t max_gap =
      std::max<int64_t>(4'000'000, 2 * (20'000'000'000 / per_process - 10'000'000));
  struct Op {
    int64_t process, invoke, complete, point;  // point: when it takes effect (linearizable)
    std::string f, key, type;
    json value, output;
    int64_t invoke_line = 0, complete_line = 0, index = 0;
  };
  std::vector<Op> ops;
  ops.reserve(static_cast<size_t>(o.ops));
  int64_t next_value = 0;
  const std::vector<std::string> fs_names = {"read", "write", "cas"};
  for (int slot = 0; slot < o.processes; ++slot) {
    int64_t process = slot, t = rng.Range(0, 2'000'000);
    for (int64_t i = 0; i < per_process && static_cast<int64_t>(ops.size()) < o.ops; ++i) {
      Op op;
      op.process = process;
      op.f = fs_names[rng.Uniform(3)];
      op.key = "k" + std::to_string(rng.Uniform(o.keys));
      op.invoke = t;
      op.complete = t + 300'000 + static_cast<int64_t>(rng.Double() * rng.Double() * 40'000'000);
      op.point = rng.Range(op.invoke, op.complete);
      double roll = rng.Double();
      op.type = roll < 0.9 ? "ok" : roll < 0.96 ? "fail" : "info";
      // Written values are unique, so a stale read is provably stale.
      if (op.f == "write") op.value = ++next_value;
      if (op.f == "cas") op.value = json::array({rng.Range(0, next_value), ++next_value});
      t = op.complete + rng.Range(100'000, max_gap);
      if (op.type == "info") process += o.processes;
      ops.push_back(std::move(op));
    }
  }
  // Apply every operation at its point, so the history is linearizable by construction.
  std::vector<size_t> by_point(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) by_point[i] = i;
  std::sort(by_point.begin(), by_point.end(),
            [&](size_t a, size_t b) { return ops[a].point < ops[b].point; });
  std::map<std::string, json> state;
  for (size_t i : by_point) {
    Op& op = ops[i];
    json& current = state.try_emplace(op.key, nullptr).first->second;
    if (op.f == "read") {
      op.output = op.type == "ok" ? current : json(nullptr);
    } else if (op.f == "write") {
      if (op.type == "ok" || (op.type == "info" && rng.Chance(0.5))) current = op.value;
      op.output = op.value;
    } else {
      if (op.type == "fail") {
        op.output = op.value;
      } else if (current == op.value[0]) {
        if (op.type == "ok" || rng.Chance(0.5)) current = op.value[1];
        op.output = op.value;
      } else {
        op.type = "fail";  // the cas found another value: definitely no effect
        op.output = op.value;
      }
    }
  }
  // Write the history in real-time order and number the lines (1-based, as the checker does).
  std::vector<Event> events;
  events.reserve(ops.size() * 2);
  for (size_t i = 0; i < ops.size(); ++i) {
    events.push_back({ops[i].invoke, static_cast<int64_t>(2 * i), json(i)});
    events.push_back({ops[i].complete, static_cast<int64_t>(2 * i + 1), json(i)});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.seq < b.seq;
  });
  std::vector<size_t> invoke_order;
  int64_t line = 0;
  for (const Event& e : events) {
    Op& op = ops[e.line.get<size_t>()];
    ++line;
    if (e.seq % 2 == 0) {
      op.invoke_line = line;
      op.index = static_cast<int64_t>(invoke_order.size());
      invoke_order.push_back(e.line.get<size_t>());
    } else {
      op.complete_line = line;
    }
  }
  // The planted anomaly: a read of k1 past the middle returns the value of a write W1 that an
  // ok write W2 replaced, with W1 done before W2 began and W2 done before the read began.
  json details;
  if (o.invalid) {
    std::vector<size_t> writes;  // ok writes of k1, by completion
    for (size_t i : invoke_order) {
      if (ops[i].key == "k1" && ops[i].f == "write" && ops[i].type == "ok") writes.push_back(i);
    }
    for (size_t k = invoke_order.size() / 2; k < invoke_order.size() && details.is_null(); ++k) {
      Op& read = ops[invoke_order[k]];
      if (read.key != "k1" || read.f != "read" || read.type != "ok") continue;
      const Op* w1 = nullptr;
      const Op* w2 = nullptr;
      for (size_t a : writes) {
        if (ops[a].complete >= read.invoke) continue;
        for (size_t b : writes) {
          if (ops[a].complete < ops[b].invoke && ops[b].complete < read.invoke) {
            w1 = &ops[a];
            w2 = &ops[b];
          }
        }
      }
      if (w1 == nullptr) continue;
      read.output = w1->value;
      auto op_json = [](const Op& x) {
        json j = {{"index", x.index},
                  {"process", x.process},
                  {"f", x.f},
                  {"key", x.key},
                  {"value", x.value},
                  {"type", x.type},
                  {"invoke_line", x.invoke_line},
                  {"complete_line", x.complete_line},
                  {"invoke_time", x.invoke},
                  {"complete_time", x.complete}};
        if (x.type == "ok") j["output"] = x.output;
        return j;
      };
      json prefix = json::array(), concurrent = json::array();
      for (size_t i : invoke_order) {
        const Op& x = ops[i];
        if (x.key != "k1" || &x == &read) continue;
        if (x.complete < read.invoke && x.type == "ok") prefix.push_back(op_json(x));
        if (x.invoke < read.complete && x.complete > read.invoke) concurrent.push_back(op_json(x));
      }
      int64_t prefix_length = static_cast<int64_t>(prefix.size());
      if (prefix.size() > 12) prefix.erase(prefix.begin(), prefix.end() - 12);
      details = {{"key", "k1"},
                 {"op", op_json(read)},
                 {"needed", "the register to hold " + w1->value.dump()},
                 {"state", w2->value.dump()},
                 {"prefix", prefix},
                 {"prefix_length", prefix_length},
                 {"prefix_truncated", prefix_length > 12},
                 {"concurrent", concurrent}};
    }
  }
  int64_t counts[3] = {0, 0, 0}, end = 0;
  {
    std::ofstream out(run_dir / "history.jsonl", std::ios::binary);
    for (const Event& e : events) {
      const Op& op = ops[e.line.get<size_t>()];
      bool invoke = e.seq % 2 == 0;
      json line_json = {{"process", op.process},
                        {"type", invoke ? std::string("invoke") : op.type},
                        {"f", op.f},
                        {"key", op.key},
                        {"value", invoke ? op.value : op.output},
                        {"time", e.time}};
      if (!invoke) {
        line_json["node"] = "n" + std::to_string(1 + op.process % o.nodes);
        ++counts[op.type == "ok" ? 0 : op.type == "fail" ? 1 : 2];
        end = std::max(end, e.time);
      }
      out << line_json.dump() << "\n";
    }
  }
  const int64_t written = static_cast<int64_t>(ops.size());

  // Faults: every 5 s, 3 s long, cycling through kinds.
  {
    std::ofstream out(run_dir / "nemesis.jsonl", std::ios::binary);
    int id = 0;
    for (int64_t t = 3'000'000'000; o.faults && t + 3'000'000'000 < end; t += 5'000'000'000) {
      json start = {{"time", t}, {"phase", "start"}, {"id", id}};
      switch (id % 4) {
        case 0:
          start.update({{"fault", "partition-one-way"},
                        {"targets", {"n1"}},
                        {"links", Links({{"n1", "n2"}, {"n1", "n3"}})},
                        {"detail", {{"from", {"n1"}}}}});
          break;
        case 1:
          start.update({{"fault", "kill"}, {"targets", {"n2"}}, {"links", json::array()}});
          break;
        case 2:
          start.update(
              {{"fault", "partition-halves"},
               {"targets", {"n1", "n2", "n3"}},
               {"links", Links({{"n1", "n3"}, {"n3", "n1"}, {"n2", "n3"}, {"n3", "n2"}})}});
          break;
        default:
          start.update({{"fault", "pause"}, {"targets", {"n3"}}, {"links", json::array()}});
      }
      json stop = start;
      stop["phase"] = "end";
      stop["time"] = t + 3'000'000'000;
      out << start.dump() << "\n" << stop.dump() << "\n";
      ++id;
    }
    if (o.faults) {
      out << json({{"time", 1'000'000'000},
                   {"phase", "unsupported"},
                   {"id", id},
                   {"fault", "clock-skew"},
                   {"targets", {"n2"}},
                   {"links", json::array()},
                   {"detail", {{"why", "no libfaketime on this machine"}}}})
                 .dump()
          << "\n";
    }
  }

  // Nodes: a new leader every 5 s, commits every 10 ms, a log file each.
  int64_t start_wall = ParseIso8601Nanos(o.started);
  for (int n = 1; n <= o.nodes; ++n) {
    std::string id = "n" + std::to_string(n);
    fs::create_directories(run_dir / "nodes" / id, ec);
    std::ofstream events_out(run_dir / "nodes" / id / "events.jsonl", std::ios::binary);
    events_out << json({{"t", start_wall},
                        {"node", id},
                        {"event", "start"},
                        {"term", 0},
                        {"commit", 0},
                        {"applied", 0}})
                      .dump()
               << "\n";
    int64_t index = 0;
    for (int64_t t = 0, term = 1; t < end; t += 10'000'000) {
      if (t % 5'000'000'000 == 200'000'000) {
        std::string leader = "n" + std::to_string(1 + term % o.nodes);
        events_out << json({{"t", start_wall + t},
                            {"node", id},
                            {"event", "role"},
                            {"role", "candidate"},
                            {"term", term},
                            {"leader", nullptr}})
                          .dump()
                   << "\n";
        events_out << json({{"t", start_wall + t + 30'000'000},
                            {"node", id},
                            {"event", "role"},
                            {"role", leader == id ? "leader" : "follower"},
                            {"term", term},
                            {"leader", leader}})
                          .dump()
                   << "\n";
        ++term;
      }
      index += 3;
      events_out << json({{"t", start_wall + t},
                          {"node", id},
                          {"event", "commit"},
                          {"index", index},
                          {"term", term}})
                        .dump()
                 << "\n";
      events_out << json({{"t", start_wall + t},
                          {"node", id},
                          {"event", "apply"},
                          {"index", index},
                          {"term", term},
                          {"hash", "9f3a5c0012ab34cd"}})
                        .dump()
                 << "\n";
      // A snapshot every 2 s (at most 5), n2 installs one from the leader at 3 s and n3
      // restarts on one at 4.5 s: the report's Raft view marks each.
      const char* snapshot = nullptr;
      const char* source = nullptr;
      if (t % 2'000'000'000 == 1'000'000'000 && t < 10'000'000'000) snapshot = "snapshot";
      if ((id == "n2" && t == 3'000'000'000) || (id == "n3" && t == 4'500'000'000)) {
        snapshot = "restore";
        source = id == "n2" ? "leader" : "disk";
      }
      if (snapshot) {
        json e = {{"t", start_wall + t},
                  {"node", id},
                  {"event", snapshot},
                  {"index", index},
                  {"term", term},
                  {"members", {"n1", "n2", "n3"}},
                  {"state_hash", "5c1e000000000001"}};
        if (source) e["source"] = source;
        events_out << e.dump() << "\n";
      }
    }
    std::ofstream log(run_dir / "nodes" / id / "node.log", std::ios::binary);
    for (int i = 0; i < 1000; ++i) {
      log << "2026-11-26T23:00:" << (i % 60) << "Z I node: " << id << " line " << i
          << " <applied> & \"flushed\"\n";
    }
    std::ofstream status(run_dir / "nodes" / id / "status.json", std::ios::binary);
    status << json({{"id", id}, {"role", n == 1 ? "leader" : "follower"}, {"term", 7}}).dump()
           << "\n";
  }

  json checkers = {{"raft-invariants", {{"valid", true}, {"terms", 12}, {"leaders", 12}}},
                   {"perf", {{"valid", true}, {"latency_p99_ms", 31.5}}}};
  if (o.invalid && details.is_null()) {
    checkers["linearizable"] = {{"valid", false},
                                {"explanation", "no stale read could be planted"}};
  } else if (o.invalid) {
    checkers["linearizable"] = {
        {"valid", false},
        {"model", "register"},
        {"explanation", "key k1: not linearizable (stale read): op " +
                            details["op"]["index"].dump() + " (process " +
                            details["op"]["process"].dump() + ", read -> " +
                            details["op"]["output"].dump() + ") cannot be placed next: it needs " +
                            details["needed"].get<std::string>()},
        {"details", details}};
  } else {
    checkers["linearizable"] = {{"valid", true}, {"ops_checked", written}};
  }
  json results = {
      {"valid", !o.invalid},  // NOLINT
      {"expected", "valid"},
      {"seed", o.seed},
      {"test", o.test},
      {"system", "splitbrain"},
      {"placement", "home"},
      {"started", o.started},
      {"duration_s", static_cast<double>(end) / 1e9},
      {"checkers", checkers},
      {"stats", {{"ops", written}, {"ok", counts[0]}, {"fail", counts[1]}, {"info", counts[2]}}}};
  std::ofstream(run_dir / "results.json", std::ios::binary) << results.dump(2) << "\n";
  std::ofstream(run_dir / "plan.yaml", std::ios::binary)
      << "name: " << o.test << "\nsystem: splitbrain\nnodes: " << o.nodes
      << "\ntime-limit: 60s\nseed: " << o.seed
      << "\nworkload:\n  name: register\n  keys: " << o.keys << "\n  concurrency: " << o.processes
      << "\nnemesis:\n  interval: 5s\n  faults: [kill, pause, partition-halves, "
         "partition-one-way]\nchecker: [linearizable, raft-invariants, perf]\nexpect: valid\n";
  return Status::Ok();
}

}  // namespace splitbrain::results

// CheckQueue: a replicated log read whole (issue 16): the set's questions plus the log's order.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "checker/checker.h"

namespace splitbrain::checker {

namespace {

// Reads compared pairwise for order: the final reads, a handful; more would be quadratic.
constexpr size_t kOrderReads = 16;

// Maximal runs of consecutive integers among `values` (canonical JSON texts), as [first, last];
// texts that are not integers are left out.
nlohmann::json Ranges(const std::vector<std::string>& values) {
  std::vector<int64_t> ints;
  for (const std::string& v : values) {
    nlohmann::json j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_number_integer()) ints.push_back(j.get<int64_t>());
  }
  std::sort(ints.begin(), ints.end());
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < ints.size();) {
    size_t j = i;
    while (j + 1 < ints.size() && ints[j + 1] == ints[j] + 1) ++j;
    out.push_back({ints[i], ints[j]});
    if (out.size() >= kJsonListCap) break;
    i = j + 1;
  }
  return out;
}

struct Read {
  int64_t invoke, complete;
  size_t op;
  std::vector<std::string> order;              // elements as read, duplicates included
  std::unordered_map<std::string, size_t> at;  // element → its first position in `order`
};

}  // namespace

CheckResult CheckQueue(const History& h) {
  struct Element {
    int64_t known = INT64_MAX;  // event when it was certainly in the log
    bool attempted = false;     // some enqueue was invoked and did not fail
    bool ok = false;
  };
  std::map<std::string, Element> elements;
  std::vector<Read> reads;
  std::vector<nlohmann::json> bad_ops;
  int64_t ok_enqueues = 0, duplicates = 0;
  std::vector<std::string> duplicated;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    const std::string& f = h.Str(op.f);
    if (f == "enqueue") {
      if (op.result == Outcome::kFail) continue;
      Element& e = elements[h.Str(op.value)];
      e.attempted = true;
      if (op.result == Outcome::kOk) {
        ++ok_enqueues;
        e.ok = true;
        e.known = std::min(e.known, op.complete_event);
      }
    } else if (f == "read") {
      if (op.result != Outcome::kOk) continue;
      auto j = h.Json(op.output);
      if (!j.is_array()) {
        bad_ops.push_back(h.OpJson(i));
        continue;
      }
      Read r{op.invoke_event, op.complete_event, i, {}, {}};
      for (const auto& e : j) {
        std::string t = e.dump();
        if (!r.at.emplace(t, r.order.size()).second) {
          ++duplicates;  // at-least-once: counted, not wrong
          if (duplicated.size() < kJsonListCap) duplicated.push_back(t);
        }
        r.order.push_back(std::move(t));
      }
      reads.push_back(std::move(r));
    }
  }
  std::sort(reads.begin(), reads.end(),
            [](const Read& a, const Read& b) { return a.invoke < b.invoke; });

  std::vector<std::string> lost, unexpected, never_read, stale;
  std::set<std::string> unexpected_seen;
  for (const Read& r : reads) {
    for (const auto& [e, pos] : r.at) {
      (void)pos;
      auto it = elements.find(e);
      if (it == elements.end() || !it->second.attempted) {
        if (unexpected_seen.insert(e).second) unexpected.push_back(e);
        continue;
      }
      it->second.known = std::min(it->second.known, r.complete);
    }
  }
  int64_t first_missing = INT64_MAX;
  for (const auto& [value, e] : elements) {
    if (e.known == INT64_MAX) continue;  // only indeterminate enqueues, never read
    const Read* last = nullptr;
    int64_t missing_at = INT64_MAX;
    for (const Read& r : reads) {
      if (r.invoke <= e.known) continue;
      last = &r;
      if (!r.at.count(value) && missing_at == INT64_MAX) missing_at = h.ops[r.op].invoke_time;
    }
    if (!last) {
      if (e.ok) never_read.push_back(value);
      continue;
    }
    if (!last->at.count(value)) {
      lost.push_back(value);
      if (missing_at >= 0) first_missing = std::min(first_missing, missing_at);
    } else if (missing_at != INT64_MAX) {
      // Missing from a read that began after it was acknowledged or read, back in a later one:
      // the log went back and forth.
      stale.push_back(value);
      if (missing_at >= 0) first_missing = std::min(first_missing, missing_at);
    }
  }

  // The log's total order: any two reads list the elements they share in the same order.
  nlohmann::json order_violation;
  for (size_t a = 0; a < reads.size() && a < kOrderReads && order_violation.is_null(); ++a) {
    for (size_t b = a + 1; b < reads.size() && b < kOrderReads; ++b) {
      const Read& ra = reads[a];
      const Read& rb = reads[b];
      // Walk b's first occurrences; their positions in a must rise.
      size_t max_pos = 0;
      const std::string* max_elem = nullptr;
      for (size_t i = 0; i < rb.order.size(); ++i) {
        if (rb.at.at(rb.order[i]) != i) continue;  // a duplicate: its first occurrence counts
        auto it = ra.at.find(rb.order[i]);
        if (it == ra.at.end()) continue;
        if (max_elem && it->second < max_pos) {
          order_violation = {{"first", nlohmann::json::parse(*max_elem)},
                             {"second", nlohmann::json::parse(rb.order[i])},
                             {"read_a", h.OpJson(ra.op)},
                             {"read_b", h.OpJson(rb.op)}};
          break;
        }
        max_pos = it->second;
        max_elem = &rb.order[i];
      }
      if (!order_violation.is_null()) break;
    }
  }

  CheckResult r;
  const bool invalid = !lost.empty() || !unexpected.empty() || !stale.empty() ||
                       !order_violation.is_null() || !bad_ops.empty();
  r.valid = invalid ? Validity::kInvalid : reads.empty() ? Validity::kUnknown : Validity::kValid;
  auto& j = r.json;
  j["valid"] = ValidityJson(r.valid);
  j["ok_enqueues"] = ok_enqueues;
  j["reads"] = reads.size();
  j["read_lengths"] = nlohmann::json::array();
  for (const Read& rd : reads) j["read_lengths"].push_back(rd.order.size());
  j["lost_count"] = lost.size();
  j["unexpected_count"] = unexpected.size();
  j["duplicated_count"] = duplicates;
  j["never_read_count"] = never_read.size();
  j["stale_count"] = stale.size();
  j["stale"] = CappedJsonList(stale);
  j["lost"] = CappedJsonList(lost);
  j["lost_ranges"] = Ranges(lost);
  j["unexpected"] = CappedJsonList(unexpected);
  j["duplicated"] = CappedJsonList(duplicated);
  if (invalid) {
    std::string text;
    if (!lost.empty()) {
      text += std::to_string(lost.size()) + " acknowledged message(s) lost (e.g. " + lost[0] +
              "; ranges " + j["lost_ranges"].dump() + "); ";
    }
    if (!unexpected.empty()) {
      text += std::to_string(unexpected.size()) + " message(s) read that were never sent (e.g. " +
              unexpected[0] + "); ";
    }
    if (!stale.empty()) {
      text += std::to_string(stale.size()) +
              " message(s) missing from a read that began after they were acknowledged or read, "
              "then read again (e.g. " +
              stale[0] + "); ";
    }
    if (!order_violation.is_null()) {
      text += "two reads disagree on the log's order: " + order_violation["first"].dump() +
              " before " + order_violation["second"].dump() + " in one, after it in the other; ";
    }
    if (!bad_ops.empty()) text += "a read returned something other than a list; ";
    text.resize(text.size() - 2);
    j["explanation"] = text;
    j["details"] = {
        {"lost", j["lost"]},   {"lost_ranges", j["lost_ranges"]}, {"unexpected", j["unexpected"]},
        {"stale", j["stale"]}, {"order", order_violation},        {"malformed_reads", bad_ops}};
    if (first_missing != INT64_MAX) {
      j["first_anomaly_s"] = static_cast<double>(first_missing) / 1e9;
    }
  } else if (r.valid == Validity::kUnknown) {
    j["explanation"] = "no successful read: nothing to judge";
  }
  return r;
}

}  // namespace splitbrain::checker

// CheckSet: Jepsen's set-full, per key.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "checker/checker.h"

namespace splitbrain::checker {

nlohmann::json CappedJsonList(const std::vector<std::string>& texts) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < texts.size() && i < kJsonListCap; ++i) {
    a.push_back(nlohmann::json::parse(texts[i], nullptr, false));
  }
  return a;
}

CheckResult CheckSet(const History& h) {
  struct Read {
    int64_t invoke, complete;
    size_t op;
    std::set<std::string> elems;
  };
  struct Element {
    int64_t known = INT64_MAX;  // event when it was certainly present
    bool attempted = false;     // some add was invoked and did not fail
    bool ok = false;
  };
  struct KeyState {
    std::map<std::string, Element> elements;
    std::vector<Read> reads;
  };
  std::map<uint32_t, KeyState> keys;
  std::vector<std::string> duplicated;
  std::vector<nlohmann::json> bad_ops;
  int64_t ok_adds = 0, read_count = 0;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const Operation& op = h.ops[i];
    const std::string& f = h.Str(op.f);
    KeyState& k = keys[op.key];
    if (f == "add") {
      if (op.result == Outcome::kFail) continue;
      Element& e = k.elements[h.Str(op.value)];
      e.attempted = true;
      if (op.result == Outcome::kOk) {
        ++ok_adds;
        e.ok = true;
        e.known = std::min(e.known, op.complete_event);
      }
    } else if (f == "read") {
      if (op.result != Outcome::kOk) continue;
      ++read_count;
      auto j = h.Json(op.output);
      Read r{op.invoke_event, op.complete_event, i, {}};
      if (!j.is_array()) {
        bad_ops.push_back(h.OpJson(i));
        continue;
      }
      for (const auto& e : j) {
        std::string t = e.dump();
        if (!r.elems.insert(t).second) duplicated.push_back(t);
      }
      k.reads.push_back(std::move(r));
    }
  }
  std::vector<std::string> lost, unexpected, stale, never_read;
  // The earliest read (by invoke time) that lacked an element it had to contain: the first
  // anomaly of a lost or stale element.
  int64_t first_missing = INT64_MAX;
  for (auto& [key, k] : keys) {
    (void)key;
    std::sort(k.reads.begin(), k.reads.end(),
              [](const Read& a, const Read& b) { return a.invoke < b.invoke; });
    for (const Read& r : k.reads) {
      for (const std::string& e : r.elems) {
        auto it = k.elements.find(e);
        if (it == k.elements.end() || !it->second.attempted) {
          unexpected.push_back(e);
          continue;
        }
        it->second.known = std::min(it->second.known, r.complete);
      }
    }
    for (auto& [value, e] : k.elements) {
      if (e.known == INT64_MAX) continue;  // only indeterminate adds, never read
      bool any_after = false, missing = false, last_present = false;
      int64_t missing_at = INT64_MAX;
      for (const Read& r : k.reads) {
        if (r.invoke <= e.known) continue;
        any_after = true;
        bool present = r.elems.count(value) > 0;
        if (!present && !missing) missing_at = h.ops[r.op].invoke_time;
        if (!present) missing = true;
        last_present = present;
      }
      if (missing && missing_at >= 0) first_missing = std::min(first_missing, missing_at);
      if (!any_after) {
        if (e.ok) never_read.push_back(value);  // acknowledged; no read began after that
        continue;
      }
      if (!last_present) {
        lost.push_back(value);
      } else if (missing) {
        stale.push_back(value);
      }
    }
  }
  CheckResult r;
  bool invalid = !lost.empty() || !unexpected.empty() || !duplicated.empty() || !stale.empty() ||
                 !bad_ops.empty();
  r.valid = invalid ? Validity::kInvalid : read_count == 0 ? Validity::kUnknown : Validity::kValid;
  auto& j = r.json;
  j["valid"] = ValidityJson(r.valid);
  j["ok_adds"] = ok_adds;
  j["reads"] = read_count;
  j["lost_count"] = lost.size();
  j["unexpected_count"] = unexpected.size();
  j["duplicated_count"] = duplicated.size();
  j["stale_count"] = stale.size();
  j["never_read_count"] = never_read.size();
  j["lost"] = CappedJsonList(lost);
  j["unexpected"] = CappedJsonList(unexpected);
  j["duplicated"] = CappedJsonList(duplicated);
  j["stale"] = CappedJsonList(stale);
  if (invalid) {
    std::string text;
    if (!lost.empty())
      text +=
          std::to_string(lost.size()) + " acknowledged element(s) lost (e.g. " + lost[0] + "); ";
    if (!unexpected.empty())
      text += std::to_string(unexpected.size()) + " element(s) read that were never added (e.g. " +
              unexpected[0] + "); ";
    if (!duplicated.empty())
      text += std::to_string(duplicated.size()) + " element(s) listed twice in one read (e.g. " +
              duplicated[0] + "); ";
    if (!stale.empty())
      text += std::to_string(stale.size()) +
              " element(s) missing from a read that began after the element was acknowledged or "
              "read, then read again: stale reads (e.g. " +
              stale[0] + "); ";
    if (!bad_ops.empty()) text += "a read returned something other than a list; ";
    text.resize(text.size() - 2);
    j["explanation"] = text;
    j["details"] = {{"lost", j["lost"]},
                    {"unexpected", j["unexpected"]},
                    {"duplicated", j["duplicated"]},
                    {"stale", j["stale"]},
                    {"malformed_reads", bad_ops}};
    if (first_missing != INT64_MAX) {
      j["first_anomaly_s"] = static_cast<double>(first_missing) / 1e9;
    }
  } else if (r.valid == Validity::kUnknown) {
    j["explanation"] = "no successful read: nothing to judge";
  }
  return r;
}

}  // namespace splitbrain::checker

#include "harness/exec_template.h"

#include <algorithm>

namespace splitbrain::harness {

const std::vector<std::string>& MemberPlaceholders() {
  static const std::vector<std::string> kNames = {
      "id",     "ip",       "port",  "data", "dir",     "binary",         "members",
      "others", "plan-dir", "index", "seed", "tick-ms", "election-ticks", "snapshot-entries"};
  return kNames;
}

const std::vector<std::string>& AdminPlaceholders() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names = MemberPlaceholders();
    names.insert(names.end(), {"leader", "nodes"});
    return names;
  }();
  return kNames;
}

const std::vector<std::string>& ClientPlaceholders() {
  static const std::vector<std::string> kNames = {"node", "id", "ip", "port", "nodes", "plan-dir"};
  return kNames;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<std::vector<std::string>> PlaceholdersIn(const std::string& word) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < word.size()) {
    if (word[i] == '}') {
      return Status::InvalidArgument("'" + word + "': a '}' at offset " + std::to_string(i) +
                                     " closes no '{'");
    }
    if (word[i] != '{') {
      ++i;
      continue;
    }
    const size_t end = word.find('}', i);
    if (end == std::string::npos) {
      return Status::InvalidArgument("'" + word + "': the '{' at offset " + std::to_string(i) +
                                     " is never closed");
    }
    out.push_back(word.substr(i + 1, end - i - 1));
    i = end + 1;
  }
  return out;
}

Status CheckPlaceholders(const std::vector<std::string>& words,
                         const std::vector<std::string>& allowed) {
  for (const auto& w : words) {
    SB_ASSIGN_OR_RETURN(auto names, PlaceholdersIn(w));
    for (const auto& n : names) {
      if (std::find(allowed.begin(), allowed.end(), n) != allowed.end()) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "{" : ", {") + a + "}";
      return Status::InvalidArgument("unknown placeholder {" + n + "} in '" + w +
                                     "'; this command may use " + list);
    }
  }
  return Status::Ok();
}

std::string FillText(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find('{', i);
    const size_t close = open == std::string::npos ? open : text.find('}', open);
    if (close == std::string::npos) {
      out += text.substr(i);
      break;
    }
    out += text.substr(i, open - i);
    auto it = values.find(text.substr(open + 1, close - open - 1));
    out += it == values.end() ? text.substr(open, close - open + 1) : it->second;
    i = close + 1;
  }
  return out;
}

std::vector<std::string> FillWords(const std::vector<std::string>& words,
                                   const std::map<std::string, std::string>& values,
                                   const std::map<std::string, std::vector<std::string>>& lists) {
  std::vector<std::string> out;
  for (const auto& w : words) {
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      auto it = lists.find(w.substr(1, w.size() - 2));
      if (it != lists.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        continue;
      }
    }
    out.push_back(FillText(w, values));
  }
  return out;
}

}  // namespace splitbrain::harness

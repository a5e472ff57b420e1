#include "records/history_edn.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "records/json_text.h"

namespace splitbrain::records {
namespace {

struct EdnReader {
  const char* p;
  const char* end;
  int64_t line = 1;
  std::string error;

  bool Fail(const std::string& m) {
    if (error.empty()) error = m;
    return false;
  }
  void SkipWs() {
    while (p < end) {
      char ch = *p;
      if (ch == '\n') {
        ++line;
        ++p;
      } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == ',') {
        ++p;
      } else if (ch == ';') {
        while (p < end && *p != '\n') ++p;
      } else {
        break;
      }
    }
  }
  static bool Delim(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ',' || ch == '(' ||
           ch == ')' || ch == '[' || ch == ']' || ch == '{' || ch == '}' || ch == '"' || ch == ';';
  }
  // Skips whitespace, comments and `#_ form` discards. A loop, not recursion: a long run of
  // discards must not take one stack frame each.
  bool SkipWsAndDiscards(int depth) {
    SkipWs();
    while (end - p >= 2 && p[0] == '#' && p[1] == '_') {
      p += 2;
      nlohmann::json ignored;
      if (!Read(&ignored, depth + 1)) return false;
      SkipWs();
    }
    return true;
  }
  bool ReadSeq(char close, nlohmann::json* out, int depth) {
    *out = nlohmann::json::array();
    while (true) {
      if (!SkipWsAndDiscards(depth)) return false;
      if (p >= end) return Fail("unterminated collection");
      if (*p == close) {
        ++p;
        return true;
      }
      nlohmann::json v;
      if (!Read(&v, depth + 1)) return false;
      out->push_back(std::move(v));
    }
  }
  static std::string KeyText(const nlohmann::json& k) {
    return k.is_string() ? k.get<std::string>() : k.dump();
  }
  bool Read(nlohmann::json* out, int depth = 0) {
    if (depth > 200) return Fail("form nested too deeply");
    if (!SkipWsAndDiscards(depth)) return false;
    if (p >= end) return Fail("unexpected end of input");
    char ch = *p;
    if (ch == '{') {
      ++p;
      nlohmann::json items;
      if (!ReadSeq('}', &items, depth)) return false;
      if (items.size() % 2 != 0) return Fail("map with an odd number of forms");
      *out = nlohmann::json::object();
      for (size_t i = 0; i < items.size(); i += 2) (*out)[KeyText(items[i])] = items[i + 1];
      return true;
    }
    if (ch == '[') {
      ++p;
      return ReadSeq(']', out, depth);
    }
    if (ch == '(') {
      ++p;
      return ReadSeq(')', out, depth);
    }
    if (ch == '"') {
      ++p;
      std::string s;
      while (p < end && *p != '"') {
        if (*p == '\n') ++line;
        if (*p == '\\' && p + 1 < end) {
          char e = p[1];
          p += 2;
          switch (e) {
            case 'n':
              s.push_back('\n');
              break;
            case 't':
              s.push_back('\t');
              break;
            case 'r':
              s.push_back('\r');
              break;
            default:
              s.push_back(e);
          }
        } else {
          s.push_back(*p++);
        }
      }
      if (p >= end) return Fail("unterminated string");
      ++p;
      *out = s;
      return true;
    }
    if (ch == '#') {
      ++p;
      if (p < end && *p == '{') {
        ++p;
        if (!ReadSeq('}', out, depth)) return false;
        std::sort(out->begin(), out->end());
        return true;
      }
      // A tagged literal (#jepsen.history.Op{...}, #inst "..."): the tag is dropped.
      while (p < end && !Delim(*p)) ++p;
      return Read(out, depth + 1);
    }
    if (ch == '\\') {  // character literal
      const char* start = ++p;
      while (p < end && !Delim(*p)) ++p;
      *out = std::string(start, p);
      return true;
    }
    if (ch == ')' || ch == ']' || ch == '}') return Fail(std::string("unexpected '") + ch + "'");
    const char* start = p;
    while (p < end && !Delim(*p)) ++p;
    std::string tok(start, p);
    if (tok == "nil") {
      *out = nullptr;
    } else if (tok == "true") {
      *out = true;
    } else if (tok == "false") {
      *out = false;
    } else if (tok[0] == ':') {
      *out = tok.substr(1);
    } else if ((tok[0] >= '0' && tok[0] <= '9') ||
               ((tok[0] == '-' || tok[0] == '+') && tok.size() > 1 && tok[1] >= '0' &&
                tok[1] <= '9')) {
      std::string num = tok;
      if (num.back() == 'N' || num.back() == 'M') num.pop_back();
      if (num[0] == '+') num.erase(0, 1);
      bool is_float = num.find_first_of(".eE/") != std::string::npos;
      if (!is_float) {
        errno = 0;
        char* e = nullptr;
        long long v = strtoll(num.c_str(), &e, 10);
        if (*e != 0 || errno != 0) return Fail("bad number '" + tok + "'");
        *out = static_cast<int64_t>(v);
      } else {
        size_t slash = num.find('/');
        char* e = nullptr;
        double d;
        if (slash != std::string::npos) {
          d = strtod(num.substr(0, slash).c_str(), nullptr) /
              strtod(num.substr(slash + 1).c_str(), nullptr);
        } else {
          d = strtod(num.c_str(), &e);
          if (*e != 0) return Fail("bad number '" + tok + "'");
        }
        *out = d;
      }
    } else {
      *out = tok;  // a symbol
    }
    return true;
  }
};

}  // namespace

Result<History> ParseEdnHistory(std::string_view text, const std::string& source) {
  int64_t utf8_line = 1;
  for (const char* q = text.data(); q < text.data() + text.size();) {
    if (*q == '\n') ++utf8_line;
    const size_t n = Utf8Length(q, text.data() + text.size());
    if (n == 0) {
      return Status::InvalidArgument(source + ":" + std::to_string(utf8_line) + ": invalid UTF-8");
    }
    q += n;
  }
  EdnReader r{text.data(), text.data() + text.size()};
  struct Ev {
    nlohmann::json m;
    int64_t line;
  };
  std::vector<Ev> events;
  while (true) {
    if (!r.SkipWsAndDiscards(0)) {
      return Status::InvalidArgument(source + ":" + std::to_string(r.line) + ": " + r.error);
    }
    if (r.p >= r.end) break;
    int64_t line = r.line;
    nlohmann::json form;
    if (!r.Read(&form)) {
      return Status::InvalidArgument(source + ":" + std::to_string(r.line) + ": " + r.error);
    }
    if (form.is_array()) {
      for (auto& m : form) events.push_back({std::move(m), line});
    } else {
      events.push_back({std::move(form), line});
    }
  }
  // Independent keys: every client operation's value is a [key value] tuple (cas: [key [a b]]).
  bool independent = false;
  size_t client_events = 0;
  {
    bool all_tuples = true;
    for (const auto& e : events) {
      if (!e.m.is_object()) continue;
      auto pit = e.m.find("process");
      if (pit == e.m.end() || !pit->is_number_integer()) continue;
      ++client_events;
      auto tit = e.m.find("type");
      auto vit = e.m.find("value");
      auto fit = e.m.find("f");
      bool completion_without_value = tit != e.m.end() && *tit != "invoke" && *tit != "ok" &&
                                      (vit == e.m.end() || vit->is_null());
      if (completion_without_value) continue;
      if (vit == e.m.end() || !vit->is_array() || vit->size() != 2) {
        all_tuples = false;
        break;
      }
      if (fit != e.m.end() && *fit == "cas" && !(*vit)[1].is_array()) {
        all_tuples = false;
        break;
      }
    }
    independent = all_tuples && client_events > 0;
  }
  HistoryBuilder b(source);
  for (const auto& e : events) {
    auto err = [&](const std::string& m) {
      return Status::InvalidArgument(source + ":" + std::to_string(e.line) + ": " + m);
    };
    if (!e.m.is_object()) return err("expected a map");
    auto pit = e.m.find("process");
    if (pit == e.m.end()) return err("missing :process");
    if (!pit->is_number_integer()) continue;  // :nemesis and other non-client processes
    auto tit = e.m.find("type");
    if (tit == e.m.end() || !tit->is_string()) return err("missing :type");
    auto fit = e.m.find("f");
    if (fit == e.m.end()) return err("missing :f");
    std::string f = fit->is_string() ? fit->get<std::string>() : fit->dump();
    nlohmann::json value = e.m.contains("value") ? e.m.at("value") : nlohmann::json(nullptr);
    std::string key;
    bool has_key = false;
    if (independent && value.is_array() && value.size() == 2) {
      key = value[0].is_string() ? value[0].get<std::string>() : value[0].dump();
      has_key = true;
      nlohmann::json inner = value[1];
      value = std::move(inner);
    }
    int64_t time = -1;
    auto ti = e.m.find("time");
    if (ti != e.m.end() && ti->is_number_integer()) time = ti->get<int64_t>();
    std::string type = tit->get<std::string>();
    int64_t process = pit->get<int64_t>();
    std::string vtext = value.dump();
    if (type == "invoke") {
      // A key tuple on the invocation is the key for the whole operation.
      SB_RETURN_IF_ERROR(b.Invoke(process, f, has_key ? &key : nullptr, vtext, time, e.line));
    } else {
      Outcome res;
      if (!ParseHistoryType(type, &res)) return err("unknown :type " + type);
      SB_RETURN_IF_ERROR(b.Complete(process, res, f, vtext, time, e.line));
    }
  }
  return b.Finish();
}

}  // namespace splitbrain::records

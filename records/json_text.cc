#include "records/json_text.h"

#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace splitbrain::records {
namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    switch (ch) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", ch);
          out->append(buf);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

bool ReadJsonString(JsonCursor& c, std::string* out) {
  ++c.p;  // '"'
  const char* start = c.p;
  while (c.p < c.end && *c.p != '"' && *c.p != '\\') {
    if (static_cast<unsigned char>(*c.p) < 0x20) return c.Fail("control character in string");
    ++c.p;
  }
  out->assign(start, c.p);
  while (c.p < c.end && *c.p != '"') {
    if (*c.p == '\\') {
      if (c.p + 1 >= c.end) return c.Fail("unterminated string");
      char e = c.p[1];
      c.p += 2;
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          auto hex4 = [&](uint32_t* v) {
            if (c.end - c.p < 4) return false;
            *v = 0;
            for (int i = 0; i < 4; ++i) {
              char h = c.p[i];
              *v <<= 4;
              if (h >= '0' && h <= '9') {
                *v |= h - '0';
              } else if (h >= 'a' && h <= 'f') {
                *v |= h - 'a' + 10;
              } else if (h >= 'A' && h <= 'F') {
                *v |= h - 'A' + 10;
              } else {
                return false;
              }
            }
            c.p += 4;
            return true;
          };
          uint32_t cp;
          if (!hex4(&cp)) return c.Fail("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00 && c.end - c.p >= 6 && c.p[0] == '\\' && c.p[1] == 'u') {
            c.p += 2;
            uint32_t lo;
            if (!hex4(&lo)) return c.Fail("bad \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return c.Fail("bad escape in string");
      }
    } else {
      if (static_cast<unsigned char>(*c.p) < 0x20) return c.Fail("control character in string");
      out->push_back(*c.p++);
    }
  }
  if (c.p >= c.end) return c.Fail("unterminated string");
  ++c.p;
  return true;
}


// Reads any JSON value and appends its canonical text to *out.
bool ReadCanonicalJson(JsonCursor& c, std::string* out, int depth) {
  if (depth > 200) return c.Fail("value nested too deeply");
  c.SkipWs();
  if (c.p >= c.end) return c.Fail("expected a value");
  char ch = *c.p;
  if (ch == '"') {
    std::string s;
    if (!ReadJsonString(c, &s)) return false;
    AppendQuoted(out, s);
    return true;
  }
  if (ch == '{') {
    ++c.p;
    std::vector<std::pair<std::string, std::string>> members;
    c.SkipWs();
    if (c.p < c.end && *c.p == '}') {
      ++c.p;
      out->append("{}");
      return true;
    }
    while (true) {
      c.SkipWs();
      if (c.p >= c.end || *c.p != '"') return c.Fail("expected a member name");
      std::pair<std::string, std::string> m;
      if (!ReadJsonString(c, &m.first)) return false;
      c.SkipWs();
      if (c.p >= c.end || *c.p != ':') return c.Fail("expected ':'");
      ++c.p;
      if (!ReadCanonicalJson(c, &m.second, depth + 1)) return false;
      members.push_back(std::move(m));
      c.SkipWs();
      if (c.p < c.end && *c.p == ',') {
        ++c.p;
        continue;
      }
      if (c.p < c.end && *c.p == '}') {
        ++c.p;
        break;
      }
      return c.Fail("expected ',' or '}'");
    }
    // Canonical objects: sorted by name; a repeated name keeps its last value (as nlohmann).
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    out->push_back('{');
    bool first = true;
    for (size_t i = 0; i < members.size(); ++i) {
      if (i + 1 < members.size() && members[i + 1].first == members[i].first) continue;
      if (!first) out->push_back(',');
      first = false;
      AppendQuoted(out, members[i].first);
      out->push_back(':');
      out->append(members[i].second);
    }
    out->push_back('}');
    return true;
  }
  if (ch == '[') {
    ++c.p;
    out->push_back('[');
    c.SkipWs();
    if (c.p < c.end && *c.p == ']') {
      ++c.p;
      out->push_back(']');
      return true;
    }
    while (true) {
      if (!ReadCanonicalJson(c, out, depth + 1)) return false;
      c.SkipWs();
      if (c.p < c.end && *c.p == ',') {
        ++c.p;
        out->push_back(',');
        continue;
      }
      if (c.p < c.end && *c.p == ']') {
        ++c.p;
        out->push_back(']');
        return true;
      }
      return c.Fail("expected ',' or ']'");
    }
  }
  auto word = [&](const char* w, size_t n) {
    if (static_cast<size_t>(c.end - c.p) >= n && memcmp(c.p, w, n) == 0) {
      c.p += n;
      out->append(w, n);
      return true;
    }
    return c.Fail("unexpected character");
  };
  if (ch == 'n') return word("null", 4);
  if (ch == 't') return word("true", 4);
  if (ch == 'f') return word("false", 5);
  if (ch == '-' || (ch >= '0' && ch <= '9')) {
    const char* start = c.p;
    bool is_float = false;
    if (*c.p == '-') ++c.p;
    if (c.p >= c.end || !(*c.p >= '0' && *c.p <= '9')) return c.Fail("bad number");
    while (c.p < c.end && ((*c.p >= '0' && *c.p <= '9') || *c.p == '.' || *c.p == 'e' ||
                           *c.p == 'E' || *c.p == '+' || *c.p == '-')) {
      if (*c.p == '.' || *c.p == 'e' || *c.p == 'E') is_float = true;
      ++c.p;
    }
    std::string_view text(start, c.p - start);
    if (!is_float) {
      if (text == "-0") {
        out->push_back('0');
      } else {
        out->append(text);
      }
      return true;
    }
    std::string tmp(text);
    char* endp = nullptr;
    double d = strtod(tmp.c_str(), &endp);
    if (endp != tmp.c_str() + tmp.size() || !std::isfinite(d)) return c.Fail("bad number");
    out->append(nlohmann::json(d).dump());
    return true;
  }
  return c.Fail("unexpected character");
}

bool ReadJsonInt(JsonCursor& c, int64_t* v) {
  c.SkipWs();
  const char* start = c.p;
  bool neg = false;
  if (c.p < c.end && *c.p == '-') {
    neg = true;
    ++c.p;
  }
  if (c.p >= c.end || !(*c.p >= '0' && *c.p <= '9')) {
    c.p = start;
    return c.Fail("expected an integer");
  }
  int64_t x = 0;
  while (c.p < c.end && *c.p >= '0' && *c.p <= '9') x = x * 10 + (*c.p++ - '0');
  if (c.p < c.end && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')) {
    return c.Fail("expected an integer");
  }
  *v = neg ? -x : x;
  return true;
}

Result<std::string> CanonicalJson(std::string_view json_text) {
  JsonCursor c{json_text.data(), json_text.data() + json_text.size(), {}};
  std::string out;
  if (!ReadCanonicalJson(c, &out)) return Status::InvalidArgument("malformed JSON: " + c.error);
  c.SkipWs();
  if (c.p != c.end) return Status::InvalidArgument("malformed JSON: trailing characters");
  return out;
}

}  // namespace splitbrain::records

#include "records/json_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>

namespace splitbrain::records {

// Length of the UTF-8 sequence at `p` (1 to 4 bytes), or 0 when the bytes there are not UTF-8
// (overlong forms, surrogates and code points above U+10FFFF included). A history's strings are
// printed as JSON later (explanations, reports), which nlohmann refuses to do with bad UTF-8: the
// readers refuse it first, naming the line.
size_t Utf8Length(const char* at, const char* end) {
  const auto* p = reinterpret_cast<const unsigned char*>(at);
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2, cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, cp = b & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - at) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

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

}  // namespace

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

// Reads a JSON string (cursor on the opening quote) into its decoded contents.
bool ReadJsonString(JsonCursor& c, std::string* out) {
  ++c.p;  // '"'
  const char* start = c.p;
  while (c.p < c.end && *c.p != '"' && *c.p != '\\') {
    const auto u = static_cast<unsigned char>(*c.p);
    if (u < 0x20) return c.Fail("control character in string");
    if (u < 0x80) {
      ++c.p;
    } else if (size_t n = Utf8Length(c.p, c.end)) {
      c.p += n;
    } else {
      return c.Fail("invalid UTF-8 in string");
    }
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
          if (cp >= 0xDC00 && cp <= 0xDFFF) return c.Fail("lone surrogate in \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            // A high surrogate must be followed by a low one: together they are one code point.
            uint32_t lo = 0;
            if (c.end - c.p < 6 || c.p[0] != '\\' || c.p[1] != 'u') {
              return c.Fail("lone surrogate in \\u escape");
            }
            c.p += 2;
            if (!hex4(&lo)) return c.Fail("bad \\u escape");
            if (lo < 0xDC00 || lo > 0xDFFF) return c.Fail("lone surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return c.Fail("bad escape in string");
      }
    } else {
      const auto u = static_cast<unsigned char>(*c.p);
      if (u < 0x20) return c.Fail("control character in string");
      const size_t n = Utf8Length(c.p, c.end);
      if (n == 0) return c.Fail("invalid UTF-8 in string");
      out->append(c.p, n);
      c.p += n;
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
      // A JSON integer is -?(0|[1-9][0-9]*); the loop above also took signs and leading zeros,
      // which would make a canonical text that is no JSON at all ("1-2", "007").
      const std::string_view digits = text.substr(text[0] == '-' ? 1 : 0);
      if (digits.find_first_not_of("0123456789") != std::string_view::npos ||
          (digits.size() > 1 && digits[0] == '0')) {
        return c.Fail("bad number");
      }
      // An integer past what a double holds (309 digits and more) is no JSON number any reader
      // keeps (nlohmann refuses it as an overflow): refused, as the non-finite float below.
      if (digits.size() > 308 && !std::isfinite(strtod(std::string(text).c_str(), nullptr))) {
        return c.Fail("bad number");
      }
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
  while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
    // Accumulated negative, so that the most negative int64 fits; beyond it: refused.
    if (__builtin_mul_overflow(x, 10, &x) || __builtin_sub_overflow(x, *c.p++ - '0', &x)) {
      return c.Fail("integer out of range");
    }
  }
  if (c.p < c.end && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')) {
    return c.Fail("expected an integer");
  }
  if (!neg && x == std::numeric_limits<int64_t>::min()) return c.Fail("integer out of range");
  *v = neg ? x : -x;
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

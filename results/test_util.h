// Helpers for the results/ tests: a fresh temporary folder and whole-file reads.
#pragma once

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"

namespace splitbrain::results::testing {

// A new empty folder under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sb-results-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? std::filesystem::path(pattern) : std::filesystem::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// How many times `what` occurs in `text` (overlapping occurrences counted).
inline int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The JSON embedded in a report's <script id="sb-data">; discarded when absent or malformed.
inline nlohmann::json EmbeddedData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"sb-data\">";
  size_t a = html.find(open);
  if (a == std::string::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  a += open.size();
  size_t b = html.find("</script>", a);
  if (b == std::string::npos) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(html.substr(a, b - a), nullptr, false);
}

// Anything that would make a browser fetch from elsewhere: src=/href= or url() pointing at
// http:, https: or a protocol-relative //, @import, <link>, <iframe>.
inline bool LoadsFromOutside(const std::string& html) {
  std::string text = html;
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* tag : {"@import", "<link", "<iframe"}) {
    if (text.find(tag) != std::string::npos) return true;
  }
  auto external_at = [&](size_t i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '"' || text[i] == '\'')) ++i;
    return text.compare(i, 5, "http:") == 0 || text.compare(i, 6, "https:") == 0 ||
           text.compare(i, 2, "//") == 0;
  };
  for (const char* attr : {"src", "href"}) {
    for (size_t at = text.find(attr); at != std::string::npos; at = text.find(attr, at + 1)) {
      size_t i = at + std::string(attr).size();
      while (i < text.size() && text[i] == ' ') ++i;
      if (i < text.size() && text[i] == '=' && external_at(i + 1)) return true;
    }
  }
  for (size_t at = text.find("url("); at != std::string::npos; at = text.find("url(", at + 1)) {
    if (external_at(at + 4)) return true;
  }
  return false;
}

// The text between `before` and the next `after`, searching from the first `before`; empty when
// either is missing. (std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
inline std::string Between(const std::string& text, const std::string& before,
                           const std::string& after) {
  size_t a = text.find(before);
  if (a == std::string::npos) return "";
  a += before.size();
  size_t b = text.find(after, a);
  return b == std::string::npos ? "" : text.substr(a, b - a);
}

}  // namespace splitbrain::results::testing

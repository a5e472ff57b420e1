#include "results/junit.h"

#include "results/html.h"

#include <cstdio>
#include <sstream>

namespace splitbrain::results {
namespace {

using nlohmann::json;

// "true", "false" or "unknown" from a results.json verdict (true | false | "unknown").
std::string Verdict(const json& object) {
  auto it = object.find("valid");
  if (it == object.end()) return "unknown";
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  return "unknown";
}

std::string Text(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(2, ' ', false, json::error_handler_t::replace);
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

std::string Seconds(const json& object, const char* field) {
  auto it = object.find(field);
  double value = it != object.end() && it->is_number() ? it->get<double>() : 0.0;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  return buffer;
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  // XML 1.0 allows no control characters but tab, newline and carriage return; the rest is
  // escaped as for HTML (whose entities, &#39; included, are all valid XML).
  std::string allowed;
  allowed.reserve(text.size());
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    allowed += c;
  }
  return HtmlEscape(allowed);
}

std::string RenderJunit(const json& results, const std::string& fallback_name) {
  JunitCounts counts;
  const std::string suite = RenderJunitSuite(results, fallback_name, &counts);
  return JunitDocument(suite, counts);
}

std::string JunitDocument(const std::string& suites, const JunitCounts& counts) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites tests=\"" << counts.tests << "\" failures=\"" << counts.failures
      << "\" errors=\"" << counts.errors << "\">\n"
      << suites << "</testsuites>\n";
  return out.str();
}

std::string RenderJunitSuite(const json& results, const std::string& fallback_name,
                             JunitCounts* counts) {
  std::string test = Text(results, "test");
  if (test.empty()) test = fallback_name;
  std::string expected = Text(results, "expected");
  if (expected.empty()) expected = "valid";
  std::string verdict = Verdict(results);
  const json empty = json::object();
  const json& checkers =
      results.contains("checkers") && results["checkers"].is_object() ? results["checkers"] : empty;
  std::string classname = XmlEscape("splitbrain." + test);

  std::ostringstream cases;
  int failures = 0, errors = 0, tests = 0;

  // The test itself: did it come out as the plan expected?
  ++tests;
  cases << "    <testcase classname=\"" << classname << "\" name=\"" << XmlEscape(test)
        << "\" time=\"" << Seconds(results, "duration_s") << "\">\n";
  if (verdict == "unknown") {
    ++errors;
    std::string why = Text(results, "why");
    if (why.empty()) why = "the verdict is unknown";
    cases << "      <error type=\"unknown\" message=\"" << XmlEscape(FirstLine(why)) << "\">"
          << XmlEscape(why) << "</error>\n";
  } else if ((verdict == "true") != (expected == "valid")) {
    ++failures;
    std::string message = expected == "valid" ? "expected valid, an anomaly was found"
                                              : "expected an anomaly (expect: invalid), none found";
    std::string body = message + "\n";
    for (const auto& [name, checker] : checkers.items()) {
      if (checker.is_object() && Verdict(checker) == "false") {
        body += "\n" + name + ": " + Text(checker, "explanation") + "\n";
      }
    }
    cases << "      <failure type=\"verdict\" message=\"" << XmlEscape(message) << "\">"
          << XmlEscape(body) << "</failure>\n";
  }
  cases << "    </testcase>\n";

  // One per checker. With `expect: invalid` an anomaly is the wanted outcome, not a failure.
  for (const auto& [name, checker] : checkers.items()) {
    ++tests;
    const json& object = checker.is_object() ? checker : empty;
    std::string checker_verdict = Verdict(object);
    std::string explanation = Text(object, "explanation");
    cases << "    <testcase classname=\"" << classname << "\" name=\"" << XmlEscape(name)
          << "\" time=\"" << Seconds(object, "duration_s") << "\">\n";
    if (checker_verdict == "unknown") {
      ++errors;
      std::string why = explanation.empty() ? Text(object, "why") : explanation;
      if (why.empty()) why = "the checker's verdict is unknown";
      cases << "      <error type=\"unknown\" message=\"" << XmlEscape(FirstLine(why)) << "\">"
            << XmlEscape(why) << "</error>\n";
    } else if (checker_verdict == "false" && expected == "valid") {
      ++failures;
      if (explanation.empty()) explanation = name + " found the history invalid";
      cases << "      <failure type=\"invalid\" message=\"" << XmlEscape(FirstLine(explanation))
            << "\">" << XmlEscape(explanation) << "</failure>\n";
    } else if (checker_verdict == "false") {
      cases << "      <system-out>"
            << XmlEscape("anomaly found, as the plan expects: " + explanation) << "</system-out>\n";
    }
    cases << "    </testcase>\n";
  }

  counts->tests += tests;
  counts->failures += failures;
  counts->errors += errors;
  // A run of a seed sweep (`--seeds`) is one of several of the same test: its seed names it.
  std::string suite = test;
  if (results.contains("seeds") && !Text(results, "seed").empty()) {
    suite += " seed " + Text(results, "seed");
  }
  std::ostringstream out;
  out << "  <testsuite name=\"" << XmlEscape(suite) << "\" tests=\"" << tests << "\" failures=\""
      << failures << "\" errors=\"" << errors << "\" skipped=\"0\" time=\""
      << Seconds(results, "duration_s") << "\"";
  std::string started = Text(results, "started");
  if (!started.empty()) out << " timestamp=\"" << XmlEscape(started) << "\"";
  out << ">\n    <properties>\n"
      << "      <property name=\"seed\" value=\"" << XmlEscape(Text(results, "seed")) << "\"/>\n"
      << "      <property name=\"expected\" value=\"" << XmlEscape(expected) << "\"/>\n"
      << "      <property name=\"valid\" value=\"" << verdict << "\"/>\n"
      << "    </properties>\n"
      << cases.str() << "  </testsuite>\n";
  return out.str();
}

}  // namespace splitbrain::results

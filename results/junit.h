// JUnit XML for one run, so CI systems (GitHub, GitLab, Jenkins) list results natively.
// One <testsuite> per run: a testcase for the test itself (did the verdict match `expected`?)
// and one per checker (failure text = the checker's explanation). Unknown is an <error>, never a
// pass. Pure function of results.json; thread-safe.
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace splitbrain::results {

// `results` is results.json (docs/CONTRACTS.md); `fallback_name` names the test when it has none.
std::string RenderJunit(const nlohmann::json& results, const std::string& fallback_name);

// What a <testsuites> element counts over its suites.
struct JunitCounts {
  int tests = 0;
  int failures = 0;
  int errors = 0;
};

// The run's <testsuite> element alone (as RenderJunit holds it), its counts added to `counts`;
// for a document over many runs (`splitbrain merge`).
std::string RenderJunitSuite(const nlohmann::json& results, const std::string& fallback_name,
                             JunitCounts* counts);

// An XML document: <testsuites> with the totals `counts` around `suites` (RenderJunitSuite's).
std::string JunitDocument(const std::string& suites, const JunitCounts& counts);

// XML text/attribute escaping; also drops characters XML 1.0 cannot hold.
std::string XmlEscape(const std::string& text);

}  // namespace splitbrain::results

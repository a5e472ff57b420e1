#include "results/junit.h"

#include <gtest/gtest.h>

#include <vector>

#include "results/test_util.h"

namespace splitbrain::results {
namespace {

using nlohmann::json;

// A small XML well-formedness check: balanced, properly nested tags, quoted attributes, known
// entities, no raw '<' or '&' in text. Enough to catch what string-built XML gets wrong.
bool WellFormed(const std::string& xml, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  auto fail = [&](const std::string& w) {
    *why = w + " at " + std::to_string(i);
    return false;
  };
  while (i < xml.size()) {
    if (xml[i] == '&') {
      size_t semi = xml.find(';', i);
      std::string entity = semi == std::string::npos ? "" : xml.substr(i, semi - i + 1);
      bool numeric = entity.size() > 3 && entity.compare(0, 2, "&#") == 0 &&
                     entity.find_first_not_of("0123456789", 2) == entity.size() - 1;
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&apos;" && !numeric) {
        return fail("bad entity");
      }
      i = semi + 1;
      continue;
    }
    if (static_cast<unsigned char>(xml[i]) < 0x20 && xml[i] != '\n' && xml[i] != '\t' &&
        xml[i] != '\r') {
      return fail("control character");
    }
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    size_t end = i + 1;
    char quote = 0;
    for (; end < xml.size(); ++end) {
      if (quote) {
        if (xml[end] == quote)
          quote = 0;
        else if (xml[end] == '<')
          return fail("'<' in attribute");
      } else if (xml[end] == '"' || xml[end] == '\'') {
        quote = xml[end];
      } else if (xml[end] == '>') {
        break;
      }
    }
    if (end >= xml.size()) return fail("unclosed tag");
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return fail("empty tag");
    if (tag[0] == '?') continue;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return fail("mismatched </" + tag);
      stack.pop_back();
      continue;
    }
    std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
    if (tag.back() != '/') stack.push_back(name);
  }
  if (!stack.empty()) return fail("unclosed <" + stack.back());
  return true;
}

TEST(WellFormed, RejectsBrokenXml) {
  std::string why;
  EXPECT_TRUE(WellFormed("<a x=\"1\"><b/>t &amp; u</a>", &why)) << why;
  EXPECT_FALSE(WellFormed("<a><b></a></b>", &why));
  EXPECT_FALSE(WellFormed("<a>x < y</a>", &why));
  EXPECT_FALSE(WellFormed("<a>AT&T</a>", &why));
  EXPECT_FALSE(WellFormed("<a>", &why));
}

json Results(json valid, const std::string& expected) {
  return {{"valid", valid},
          {"expected", expected},
          {"seed", 7},
          {"test", "reg <1>"},
          {"started", "2026-11-26T23:00:00Z"},
          {"duration_s", 12.5},
          {"checkers",
           {{"linearizable",
             {{"valid", valid},
              {"explanation", "key k1: read of 3 by process 4 cannot be placed & \"why\"\x01"}}},
            {"raft-invariants", {{"valid", true}}}}}};
}

using testing::Count;

TEST(RenderJunit, ValidRunHasOnePassingCasePerTestAndChecker) {
  std::string xml = RenderJunit(Results(true, "valid"), "x");
  std::string why;
  EXPECT_TRUE(WellFormed(xml, &why)) << why << "\n" << xml;
  EXPECT_EQ(Count(xml, "<testcase "), 3);
  EXPECT_EQ(Count(xml, "<failure"), 0);
  EXPECT_NE(xml.find("tests=\"3\" failures=\"0\" errors=\"0\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"reg &lt;1&gt;\""), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"seed\" value=\"7\"/>"), std::string::npos);
}

TEST(RenderJunit, InvalidRunFailsWithTheCheckersExplanation) {
  std::string xml = RenderJunit(Results(false, "valid"), "x");
  std::string why;
  EXPECT_TRUE(WellFormed(xml, &why)) << why << "\n" << xml;
  EXPECT_EQ(Count(xml, "<failure"), 2);  // the test and its linearizable checker
  EXPECT_NE(xml.find(">key k1: read of 3 by process 4 cannot be placed &amp; &quot;why&quot;<"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("failures=\"2\""), std::string::npos);
}

TEST(RenderJunit, AnAnomalyThePlanExpectsIsAPass) {
  std::string xml = RenderJunit(Results(false, "invalid"), "x");
  EXPECT_EQ(Count(xml, "<failure"), 0) << xml;
  EXPECT_NE(xml.find("anomaly found, as the plan expects"), std::string::npos);
  std::string missed = RenderJunit(Results(true, "invalid"), "x");
  EXPECT_EQ(Count(missed, "<failure"), 1) << missed;
  EXPECT_NE(missed.find("none found"), std::string::npos);
}

TEST(RenderJunit, UnknownIsAnErrorNeverAPass) {
  json results = Results("unknown", "valid");
  results["why"] = "checker ran out of its 60 s budget";
  std::string xml = RenderJunit(results, "x");
  std::string why;
  EXPECT_TRUE(WellFormed(xml, &why)) << why;
  EXPECT_EQ(Count(xml, "<error"), 2) << xml;
  EXPECT_NE(xml.find("60 s budget"), std::string::npos);
}

TEST(RenderJunit, EmptyResultsStillWellFormed) {
  std::string xml = RenderJunit(json::object(), "fallback-name");
  std::string why;
  EXPECT_TRUE(WellFormed(xml, &why)) << why;
  EXPECT_NE(xml.find("name=\"fallback-name\""), std::string::npos);
  EXPECT_EQ(Count(xml, "<error"), 1);
}

}  // namespace
}  // namespace splitbrain::results

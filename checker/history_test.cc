
#include <gtest/gtest.h>

#include <limits>

#include "checker/checker.h"
#include "checker/history_gen.h"
#include "records/history_edn.h"
#include "records/history_file.h"
#include "records/history_jsonl.h"
#include "records/json_text.h"

namespace splitbrain::checker {
namespace {

TEST(JsonlTest, PairsInvocationsWithCompletions) {
  auto h = records::ParseJsonlHistory(
      R"({"process":0,"type":"invoke","f":"write","key":"a","value":3,"time":5}

{"process":1, "type":"invoke", "f":"read", "value":null}
{"process":0,"type":"ok","f":"write","key":"a","value":3,"time":9,"node":"n2"}
{"process":1,"type":"info","f":"read","value":null}
{"process":2,"type":"invoke","f":"cas","value":[ 3 , 4 ]}
)",
      "h.jsonl");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 3u);
  EXPECT_EQ(h->events, 5);
  const Operation& w = h->ops[0];
  EXPECT_EQ(h->Str(w.f), "write");
  EXPECT_EQ(h->Str(w.key), "a");
  EXPECT_EQ(h->Str(w.value), "3");
  EXPECT_EQ(w.result, Outcome::kOk);
  EXPECT_EQ(w.invoke_line, 1);
  EXPECT_EQ(w.complete_line, 4);
  EXPECT_EQ(w.invoke_time, 5);
  EXPECT_EQ(w.complete_time, 9);
  EXPECT_EQ(h->Str(w.node), "n2");
  EXPECT_EQ(h->ops[1].key, History::kNoKey);
  EXPECT_EQ(h->ops[1].result, Outcome::kUnknown);
  EXPECT_FALSE(h->ops[1].open);
  EXPECT_EQ(h->Str(h->ops[2].value), "[3,4]");
  EXPECT_TRUE(h->ops[2].open);
  EXPECT_EQ(h->ops[2].result, Outcome::kUnknown);
}

void ExpectErrorAtLine(const std::string& text, const std::string& where) {
  auto h = records::ParseJsonlHistory(text, "h.jsonl");
  ASSERT_FALSE(h.ok()) << text;
  EXPECT_NE(h.status().message().find(where), std::string::npos) << h.status();
}

TEST(JsonlTest, MalformedInputNamesTheLine) {
  ExpectErrorAtLine("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":0,",
                    "h.jsonl:2");
  ExpectErrorAtLine("[1,2]\n", "h.jsonl:1");
  ExpectErrorAtLine("{\"process\":\"x\",\"type\":\"invoke\",\"f\":\"read\"}\n", "h.jsonl:1");
  ExpectErrorAtLine("{\"process\":0,\"type\":\"begin\",\"f\":\"read\"}\n", "h.jsonl:1");
  ExpectErrorAtLine("{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}\n", "h.jsonl:1");
  ExpectErrorAtLine(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n",
      "h.jsonl:2");
  ExpectErrorAtLine(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"write\"}\n",
      "h.jsonl:2");
  ExpectErrorAtLine("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":tru}\n",
                    "h.jsonl:1");
  ExpectErrorAtLine("{\"type\":\"invoke\",\"f\":\"read\"}\n", "missing \"process\"");
}

// Found by fuzz/jsonl_fuzz: a string that is not UTF-8 was read, and printing the operation
// (an explanation, `check --json`, the report) threw from nlohmann and ended the process.
TEST(JsonlTest, InvalidUtf8IsRefusedNamingTheLine) {
  const std::string ok = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n";
  ExpectErrorAtLine(ok + "{\"process\":1,\"type\":\"invoke\",\"f\":\"rea\xe4\"}\n",
                    "h.jsonl:2: \"f\" must be a string: invalid UTF-8 in string");
  ExpectErrorAtLine(
      ok + "{\"process\":1,\"type\":\"invoke\",\"f\":\"r\",\"value\":\"\xed\xa0\x80\"}\n",
      "h.jsonl:2: bad \"value\": invalid UTF-8");
  // Lone surrogates are not characters: "\ud800" would become the bytes of a surrogate.
  ExpectErrorAtLine(ok + "{\"process\":1,\"type\":\"invoke\",\"f\":\"r\",\"key\":\"\\ud800\"}\n",
                    "h.jsonl:2: lone surrogate");
  ExpectErrorAtLine(ok + "{\"process\":1,\"type\":\"invoke\",\"f\":\"r\",\"value\":\"\\udc00x\"}\n",
                    "h.jsonl:2: bad \"value\": lone surrogate");
  // Valid UTF-8 and surrogate pairs still read, and print.
  auto h = records::ParseJsonlHistory(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"r\xc3\xa9\",\"value\":"
      "\"\\ud83d\\ude00\xe2\x82\xac\"}\n",
      "h.jsonl");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->Str(h->ops[0].f), "r\xc3\xa9");
  EXPECT_EQ(h->Str(h->ops[0].value), "\"\xf0\x9f\x98\x80\xe2\x82\xac\"");
  EXPECT_NE(h->OpJson(0).dump().find("\xe2\x82\xac"), std::string::npos);
}

// Found by reading ReadInt while writing fuzz/jsonl_fuzz (which then hit it): an integer beyond
// int64 overflowed a signed accumulator (undefined behaviour, an abort under UBSan).
TEST(JsonlTest, IntegerOutOfRangeIsRefused) {
  ExpectErrorAtLine("{\"process\":99999999999999999999,\"type\":\"invoke\",\"f\":\"r\"}\n",
                    "h.jsonl:1: \"process\" must be an integer: integer out of range");
  ExpectErrorAtLine("{\"process\":9223372036854775808,\"type\":\"invoke\",\"f\":\"r\"}\n",
                    "integer out of range");
  ExpectErrorAtLine(
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"r\",\"time\":-99999999999999999999}\n",
      "h.jsonl:1: \"time\" must be an integer (ns): integer out of range");
  auto h = records::ParseJsonlHistory(
      "{\"process\":9223372036854775807,\"type\":\"invoke\",\"f\":\"r\",\"time\":-"
      "9223372036854775808}\n",
      "h.jsonl");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->ops[0].process, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(h->ops[0].invoke_time, std::numeric_limits<int64_t>::min());
}

TEST(JsonlTest, CanonicalValues) {
  EXPECT_EQ(*records::CanonicalJson(" { \"b\" : 1, \"a\" : [ \"x\\u0041\", null ] } "),
            "{\"a\":[\"xA\",null],\"b\":1}");
  EXPECT_EQ(*records::CanonicalJson("-0"), "0");
  EXPECT_EQ(*records::CanonicalJson("1.50"), "1.5");
  EXPECT_FALSE(records::CanonicalJson("[1,").ok());
  // Found by reading ReadCanonical for fuzz/jsonl_fuzz (which now checks that canonical text is
  // JSON): integers with inner signs or leading zeros were copied through as they were.
  for (const char* bad : {"1-2", "1+", "-1-", "007", "-01", "[0-0]"}) {
    EXPECT_FALSE(records::CanonicalJson(bad).ok()) << bad;
  }
  EXPECT_EQ(*records::CanonicalJson("[0,-7,10]"), "[0,-7,10]");
  // Found by fuzz_jsonl in CI: an integer of 400 digits overflows a double, and nlohmann refuses
  // it, so a canonical text holding it was no JSON. Refused; 300 digits still fit and are kept.
  EXPECT_FALSE(records::CanonicalJson("[" + std::string(400, '9') + "]").ok());
  EXPECT_FALSE(records::CanonicalJson("-" + std::string(400, '9')).ok());
  EXPECT_EQ(*records::CanonicalJson(std::string(300, '9')), std::string(300, '9'));
  EXPECT_FALSE(records::CanonicalJson("1 2").ok());
}

TEST(EdnTest, ReadsJepsenMaps) {
  auto h = records::ParseEdnHistory(
      R"({:type :invoke, :f :write, :value 3, :process 0, :time 10, :index 0}
{:type :invoke, :f :read, :value nil, :process 1, :index 1}
{:type :info, :f :start-partition, :value nil, :process :nemesis}
{:type :ok, :f :write, :value 3, :process 0, :index 2}
{:type :ok, :f :read, :value 3, :process 1, :index 3}
{:type :invoke, :f :cas, :value [3 4], :process 0, :index 4}
{:type :fail, :f :cas, :value [3 4], :process 0, :index 5}
)",
      "history.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 3u);
  EXPECT_EQ(h->Str(h->ops[0].f), "write");
  EXPECT_EQ(h->ops[0].invoke_time, 10);
  EXPECT_EQ(h->Str(h->ops[1].output), "3");
  EXPECT_EQ(h->Str(h->ops[2].value), "[3,4]");
  EXPECT_EQ(h->ops[2].result, Outcome::kFail);
  EXPECT_EQ(h->ops[0].key, History::kNoKey);
  LinearizableOptions o;
  EXPECT_EQ(CheckLinearizable(*h, o)->valid, Validity::kValid);
}

TEST(EdnTest, IndependentKeysAsTuples) {
  auto h = records::ParseEdnHistory(
      R"([#jepsen.history.Op{:type :invoke, :f :write, :value [7 3], :process 0}
 {:type :ok, :f :write, :value [7 3], :process 0}
 {:type :invoke, :f :cas, :value [8 [1 2]], :process 1}
 {:type :ok, :f :cas, :value [8 [1 2]], :process 1}])",
      "history.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 2u);
  EXPECT_EQ(h->Str(h->ops[0].key), "7");
  EXPECT_EQ(h->Str(h->ops[0].value), "3");
  EXPECT_EQ(h->Str(h->ops[1].key), "8");
  EXPECT_EQ(h->Str(h->ops[1].value), "[1,2]");
  LinearizableOptions o;
  EXPECT_EQ(CheckLinearizable(*h, o)->valid, Validity::kInvalid);  // cas 1->2 on a null register
  o.initial = "1";
  EXPECT_EQ(CheckLinearizable(*h, o)->valid, Validity::kValid);
}

// Found by fuzz/edn_fuzz: a map key that is not UTF-8 made the reader's own dump() throw, which
// ended `splitbrain check` with std::terminate.
TEST(EdnTest, InvalidUtf8IsRefusedNamingTheLine) {
  auto h = records::ParseEdnHistory("{:type :invoke, :f :read, :process 0}\n{:\xe9yp :x [1] 2}\n",
                                    "h.edn");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("h.edn:2: invalid UTF-8"), std::string::npos) << h.status();
  auto s = records::ParseEdnHistory("{:type :invoke, :f :r\xc3, :process 0}\n", "h.edn");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("h.edn:1: invalid UTF-8"), std::string::npos) << s.status();
}

// Found by reading EdnReader while writing fuzz/edn_fuzz (confirmed through it): each `#_`
// (discard the next form) took one more stack frame, so a long run of them overflowed the stack;
// and a discard just before a closing bracket (`[1 #_2]`, valid EDN) was refused.
TEST(EdnTest, LongRunOfDiscardsDoesNotOverflowTheStack) {
  std::string text = "{:type :invoke, :f :read, :process 0";
  for (int i = 0; i < 200000; ++i) text += " #_1";
  text += "}\n";
  auto h = records::ParseEdnHistory(text, "h.edn");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 1u);
  EXPECT_EQ(h->Str(h->ops[0].f), "read");
  // A discard still takes exactly one form, and nests within the depth bound.
  auto d = records::ParseEdnHistory(
      "#_ #_ 1 2 {:type :invoke, :f #_ :x :read, :process 0, :value [1 #_2] #_ :x} #_ {}", "h.edn");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->Str(d->ops[0].f), "read");
  EXPECT_EQ(d->Str(d->ops[0].value), "[1]");
  EXPECT_FALSE(records::ParseEdnHistory("{:type :invoke, :f :read, :process 0} #_", "h.edn").ok());
}

TEST(EdnTest, MalformedInputNamesTheLine) {
  auto h =
      records::ParseEdnHistory("{:type :invoke, :f :read, :process 0}\n{:type :ok :f", "h.edn");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("h.edn:2"), std::string::npos) << h.status();
}

TEST(GeneratorTest, RoundTripsThroughJsonl) {
  GenOptions g;
  g.seed = 5;
  g.keys = 3;
  g.ops = 500;
  g.info_share = 0.05;
  g.fail_share = 0.05;
  History h = GenerateRegisterHistory(g);
  auto back = records::ParseJsonlHistory(HistoryToJsonl(h), "gen.jsonl");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->ops.size(), h.ops.size());
  EXPECT_EQ(back->events, h.events);
  for (size_t i = 0; i < h.ops.size(); ++i) {
    EXPECT_EQ(back->Str(back->ops[i].value), h.Str(h.ops[i].value));
    EXPECT_EQ(back->Str(back->ops[i].output), h.Str(h.ops[i].output));
    EXPECT_EQ(back->ops[i].result, h.ops[i].result);
    EXPECT_EQ(back->ops[i].open, h.ops[i].open);
  }
  // Deterministic for a seed.
  EXPECT_EQ(HistoryToJsonl(GenerateRegisterHistory(g)), HistoryToJsonl(h));
}

}  // namespace
}  // namespace splitbrain::checker

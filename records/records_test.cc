// The records' readers and writers: every file of the run store has one reader and one writer,
// and what the writer writes the reader reads back unchanged.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "records/fault_log.h"
#include "records/history_file.h"
#include "records/history_jsonl.h"
#include "records/history_writer.h"
#include "records/node_events.h"
#include "records/outcome.h"
#include "records/reply.h"

namespace splitbrain::records {
namespace {

namespace fs = std::filesystem;

fs::path TempPath(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("records_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir / name;
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(OutcomeTest, OneOutcomeTwoSpellings) {
  for (Outcome o : {Outcome::kOk, Outcome::kFail, Outcome::kUnknown}) {
    Outcome back;
    ASSERT_TRUE(ParseHistoryType(HistoryType(o), &back));
    EXPECT_EQ(back, o);
  }
  EXPECT_STREQ(HistoryType(Outcome::kUnknown), "info");
  EXPECT_STREQ(OutcomeName(Outcome::kUnknown), "unknown");
  Outcome ignored;
  EXPECT_FALSE(ParseHistoryType("invoke", &ignored));
  EXPECT_FALSE(ParseHistoryType("unknown", &ignored));  // the history says info
}

// Which refusals stand (the operation's own) and which send a retry elsewhere (a member's).
TEST(ReplyTest, OnlyTheOperationsOwnRefusalsStand) {
  EXPECT_FALSE(IsOwnRefusal(Refusal::kNone));
  EXPECT_FALSE(IsOwnRefusal(Refusal::kMember));
  EXPECT_TRUE(IsOwnRefusal(Refusal::kState));
  EXPECT_TRUE(IsOwnRefusal(Refusal::kInvalid));
  EXPECT_STREQ(RefusalName(Refusal::kState), "state");

  Reply r = Reply::Refused(Refusal::kMember, "not leader");
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "not leader");
  EXPECT_FALSE(r.NamesLeader());
  r.leader_address = "127.0.0.1:7103";
  EXPECT_TRUE(r.NamesLeader());
  // Only a member's refusal sends the operation to a leader.
  r.refusal = Refusal::kState;
  EXPECT_FALSE(r.NamesLeader());
  EXPECT_EQ(Reply().outcome, Outcome::kUnknown);  // nothing known is unknown, never ok
  EXPECT_EQ(Reply().refusal, Refusal::kNone);
}

TEST(HistoryWriterTest, WhatTheWriterWritesTheReaderReadsBack) {
  const fs::path path = TempPath("roundtrip.jsonl");
  {
    HistoryWriter w(path.string(), SystemClock::Get().MonotonicNanos());
    w.Invoke(0, "write", "r1", 3);
    w.Invoke(1, "read", "r1", nullptr);
    w.Complete(0, "write", "r1", Outcome::kOk, 3, "n2");
    w.Complete(1, "read", "r1", Outcome::kUnknown, nullptr, "");
    w.Invoke(2, "cas", std::nullopt, nlohmann::json::array({1, 2}));
    w.Complete(2, "cas", std::nullopt, Outcome::kFail, nlohmann::json::array({1, 2}), "n1");
    w.Invoke(3, "write", "r2", 7);  // never completes
    EXPECT_EQ(w.counts().invokes, 4);
    EXPECT_EQ(w.counts().ok + w.counts().fail + w.counts().info, 3);
  }
  auto h = ReadHistoryFile(path.string());
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 4u);
  EXPECT_EQ(h->Str(h->ops[0].f), "write");
  EXPECT_EQ(h->Str(h->ops[0].key), "r1");
  EXPECT_EQ(h->ops[0].result, Outcome::kOk);
  EXPECT_EQ(h->Str(h->ops[0].output), "3");
  EXPECT_EQ(h->Str(h->ops[0].node), "n2");
  EXPECT_GE(h->ops[0].complete_time, h->ops[0].invoke_time);
  EXPECT_EQ(h->ops[1].result, Outcome::kUnknown);
  EXPECT_FALSE(h->ops[1].open);
  EXPECT_EQ(h->ops[2].key, History::kNoKey);
  EXPECT_EQ(h->ops[2].result, Outcome::kFail);
  EXPECT_EQ(h->Str(h->ops[2].completion_value), "[1,2]");
  EXPECT_EQ(h->Str(h->ops[2].output), "null");  // output is the ok completion's value only
  EXPECT_TRUE(h->ops[3].open);
  fs::remove_all(path.parent_path());
}

const char* kBadHistory =
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"a\",\"value\":3}\n"
    "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"a\",\"value\":4}\n"
    "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"a\",\"value\":4}\n"
    "{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n"
    "not json\n"
    "{\"process\":2,\"type\":\"maybe\",\"f\":\"read\"}\n"
    "[1,2]\n"
    "{\"process\":3,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n";

TEST(HistoryJsonlTest, StrictReadingStopsAtTheFirstBadLine) {
  auto h = ParseJsonlHistory(kBadHistory, "h.jsonl");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("h.jsonl:2: process 0 invokes while its operation from "
                                      "line 1 is open"),
            std::string::npos)
      << h.status();
}

// Was: a line cut inside "type"'s string said `"type" must be a string`; the fault is the cut.
TEST(HistoryJsonlTest, ATruncatedLineIsNamedAsTruncated) {
  const std::string first = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n";
  struct Case {
    std::string second, want;
  };
  for (const Case& c : std::vector<Case>{
           {"{\"process\":0,\"type\":\"o",
            "h.jsonl:2: unterminated string in \"type\": the line "
            "ends inside it (a truncated line?)"},
           {"{\"process\":0,\"type\":\"ok\",\"f\":\"rea",
            "h.jsonl:2: unterminated string in \"f\""},
           {"{\"process\":0,\"ty", "h.jsonl:2: unterminated string in a field name"},
           {"{\"process\":0,", "h.jsonl:2: the line ends before its object does"},
           {"{\"process\":0", "h.jsonl:2: the line ends before its object does"},
           {"{\"process\":0,\"type\":7}", "h.jsonl:2: \"type\" must be a string"},
       }) {
    auto h = ParseJsonlHistory(first + c.second, "h.jsonl");
    ASSERT_FALSE(h.ok()) << c.second;
    EXPECT_NE(h.status().message().find(c.want), std::string::npos)
        << c.second << " -> " << h.status();
    if (c.want.find("must be a string") == std::string::npos) {
      EXPECT_EQ(h.status().message().find("must be a string"), std::string::npos) << h.status();
    }
  }
}

// The report reads a broken run's history too: bad lines become warnings, the rest is kept.
TEST(HistoryJsonlTest, ForgivingReadingKeepsWhatItCanAndSaysWhatItSkipped) {
  std::vector<std::string> warnings;
  auto h = ParseJsonlHistory(kBadHistory, "history.jsonl", {.warnings = &warnings});
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->ops.size(), 3u);
  EXPECT_TRUE(h->ops[0].open);  // superseded by the second invocation: never completed
  EXPECT_EQ(h->ops[1].result, Outcome::kOk);
  EXPECT_EQ(h->Str(h->ops[1].value), "4");
  EXPECT_TRUE(h->ops[2].open);
  ASSERT_EQ(warnings.size(), 5u) << ::testing::PrintToString(warnings);
  EXPECT_EQ(warnings[0], "history.jsonl line 2: process 0 invoked while an operation was open");
  EXPECT_NE(warnings[1].find("history.jsonl line 4: process 1 completes an operation it never "
                             "invoked; skipped"),
            std::string::npos);
  EXPECT_NE(warnings[2].find("history.jsonl line 5: expected a JSON object; skipped"),
            std::string::npos);
  EXPECT_NE(warnings[3].find("history.jsonl line 6: unknown \"type\" \"maybe\""),
            std::string::npos);
  // Past three bad lines only the count.
  EXPECT_EQ(warnings[4], "history.jsonl: 4 bad lines");
}

TEST(FaultLogTest, WhatTheNemesisWritesIsReadBack) {
  FaultEvent e;
  e.time = 10;
  e.phase = "start";
  e.id = 1;
  e.fault = "partition-one-way";
  e.targets = {"n1"};
  e.links = {{"n1", "n2"}, {"n1", "n3"}};
  e.detail = {{"mode", "one-way"}};
  FaultEvent end = e;
  end.time = 30;
  end.phase = "end";
  const std::string text = FaultEventJson(e).dump() + "\n" + FaultEventJson(end).dump() + "\n\n";
  auto read = ParseFaultLog(text, "nemesis.jsonl");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  const FaultEvent& r = (*read)[0];
  EXPECT_EQ(r.time, 10);
  EXPECT_EQ(r.phase, "start");
  EXPECT_EQ(r.id, 1);
  EXPECT_EQ(r.fault, "partition-one-way");
  EXPECT_EQ(r.targets, e.targets);
  EXPECT_EQ(r.links, e.links);
  EXPECT_EQ(r.detail, e.detail);
  EXPECT_EQ(r.line, 1);
  EXPECT_EQ((*read)[1].phase, "end");
  EXPECT_EQ((*read)[1].time, 30);
}

TEST(FaultLogTest, StrictNamesTheLineForgivingSkipsIt) {
  const std::string text =
      "{\"time\":1,\"phase\":\"start\",\"id\":1,\"fault\":\"kill\"}\n"
      "{\"phase\":\"end\",\"id\":1}\n"
      "{\"time\":3,\"phase\":\"end\",\"id\":1,\"fault\":\"kill\"}\n";
  auto strict = ParseFaultLog(text, "nemesis.jsonl");
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("nemesis.jsonl:2:"), std::string::npos)
      << strict.status();
  std::vector<std::string> warnings;
  auto forgiving = ParseFaultLog(text, "nemesis.jsonl", {.warnings = &warnings});
  ASSERT_TRUE(forgiving.ok());
  EXPECT_EQ(forgiving->size(), 2u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("nemesis.jsonl line 2"), std::string::npos) << warnings[0];
  EXPECT_FALSE(ReadFaultLog("/nonexistent/nemesis.jsonl").ok());
}

TEST(NodeEventsTest, ReadsEveryFieldAndForgivesATornLastLine) {
  const fs::path path = TempPath("nodes/n2/events.jsonl");
  Write(path,
        "{\"t\":5,\"node\":\"n2\",\"event\":\"start\",\"term\":0,\"commit\":7}\n"
        "{\"t\":6,\"event\":\"role\",\"role\":\"leader\",\"term\":2,\"leader\":\"n2\"}\n"
        "{\"t\":7,\"event\":\"apply\",\"index\":8,\"term\":2,\"hash\":\"ab\"}\n"
        "{\"t\":8,\"event\":\"co");  // killed mid-write
  std::vector<NodeEvent> events;
  Status s =
      ReadNodeEvents(path.string(), "n2", {}, [&](const NodeEvent& e) { events.push_back(e); });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].commit, 7);
  EXPECT_EQ(events[0].index, -1);
  EXPECT_EQ(events[1].node, "n2");  // from the folder when the line has none
  EXPECT_EQ(events[1].role, "leader");
  EXPECT_EQ(events[1].leader, "n2");
  EXPECT_EQ(events[1].term, 2);
  EXPECT_EQ(events[2].hash, "ab");
  EXPECT_EQ(events[2].index, 8);
  EXPECT_EQ(events[2].line, 3);
  EXPECT_EQ(NodeEventLogs(path.parent_path().parent_path().parent_path().string()),
            std::vector<std::string>{path.string()});
  fs::remove_all(TempPath("").parent_path());
}

// The one writer: what splitbrain-node and the etcd adapter write is what the reader reads back,
// byte for byte the lines splitbrain-node wrote before the writer existed.
TEST(NodeEventsTest, TheWriterWritesWhatTheReaderReadsBack) {
  const fs::path path = TempPath("written/events.jsonl");
  fs::create_directories(path.parent_path());
  std::vector<NodeEvent> in(6);
  in[0].event = "start";
  in[0].term = 3;
  in[0].commit = 7;
  in[0].applied = 0;
  in[0].seed = "18446744073709551615";
  in[1].event = "role";
  in[1].role = "candidate";
  in[1].term = 4;  // no leader known: written as null
  in[2].event = "apply";
  in[2].index = 8;
  in[2].term = 4;
  in[2].hash = "00ff";
  in[3].event = "membership";
  in[3].index = 9;
  in[3].members = {"n1", "n2"};
  in[4].event = "failpoint";
  in[4].name = "before-append";
  in[4].action = "crash";
  in[4].term = 4;
  in[5].event = "restore";
  in[5].index = 50;
  in[5].term = 4;
  in[5].source = "leader";
  in[5].state_hash = "5c1e000000000001";
  in[5].members = {"n1", "n2", "n3"};
  for (int i = 0; i < 6; ++i) {
    in[i].t = 100 + i;
    in[i].node = "n3";
  }
  {
    auto w = NodeEventWriter::Open(path.string(), /*truncate=*/true);
    ASSERT_TRUE(w.ok()) << w.status();
    for (const auto& e : in) (*w)->Write(e);
  }
  std::ifstream file(path);
  std::string first, second;
  std::getline(file, first);
  std::getline(file, second);
  EXPECT_EQ(
      first,
      R"({"applied":0,"commit":7,"event":"start","node":"n3","seed":"18446744073709551615","t":100,"term":3})");
  EXPECT_EQ(second,
            R"({"event":"role","leader":null,"node":"n3","role":"candidate","t":101,"term":4})");
  std::vector<NodeEvent> out;
  ASSERT_TRUE(
      ReadNodeEvents(path.string(), "x", {}, [&](const NodeEvent& e) { out.push_back(e); }).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(in[i].event);
    EXPECT_EQ(NodeEventJson(out[i]), NodeEventJson(in[i]));
    EXPECT_EQ(out[i].line, static_cast<int64_t>(i + 1));
  }
  EXPECT_EQ(out[3].members, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(out[4].name, "before-append");
  EXPECT_EQ(out[0].seed, "18446744073709551615");
  EXPECT_EQ(out[5].state_hash, "5c1e000000000001");
  EXPECT_EQ(out[5].source, "leader");
  EXPECT_EQ(out[5].members, (std::vector<std::string>{"n1", "n2", "n3"}));
  // Appending keeps what is there.
  {
    auto w = NodeEventWriter::Open(path.string(), /*truncate=*/false);
    ASSERT_TRUE(w.ok());
    (*w)->Write(in[2]);
  }
  int lines = 0;
  ASSERT_TRUE(ReadNodeEvents(path.string(), "x", {}, [&](const NodeEvent&) { ++lines; }).ok());
  EXPECT_EQ(lines, 7);
  EXPECT_FALSE(NodeEventWriter::Open("/nonexistent/dir/events.jsonl", false).ok());
  fs::remove_all(TempPath("").parent_path());
}

// The writer builds its lines as text (AppendNodeEventJson); they must be byte for byte what the
// JSON object NodeEventJson describes dumps to, for every field alone and together, at the
// boundaries of "absent" (-1, empty), and with strings that need escaping.
TEST(NodeEventsTest, TheTextLineIsTheJsonObjectsDump) {
  std::vector<NodeEvent> events;
  NodeEvent all;
  all.t = 1764740000123456789;
  all.node = "n12";
  all.event = "failpoint";
  all.term = 0;
  all.role = "leader";
  all.leader = "n1";
  all.index = 0;
  all.commit = INT64_MAX;
  all.hash = "9f2c4e1a7b3d5c60";
  all.state_hash = "5c1e000000000001";
  all.source = "disk";
  all.applied = 12;
  all.seed = "18446744073709551615";
  all.members = {"n1", "n2", "n3"};
  all.name = "before-append";
  all.action = "crash";
  events.push_back(all);
  // Each field absent in turn (the rest kept), and each field alone: a field's copier copies it
  // from one event to another, so copying from a default event clears it.
  using Copy = void (*)(const NodeEvent&, NodeEvent&);
  const Copy fields[] = {
      [](const NodeEvent& f, NodeEvent& t) { t.t = f.t; },
      [](const NodeEvent& f, NodeEvent& t) { t.node = f.node; },
      [](const NodeEvent& f, NodeEvent& t) { t.event = f.event; },
      [](const NodeEvent& f, NodeEvent& t) { t.term = f.term; },
      [](const NodeEvent& f, NodeEvent& t) { t.role = f.role; },
      [](const NodeEvent& f, NodeEvent& t) { t.leader = f.leader; },
      [](const NodeEvent& f, NodeEvent& t) { t.index = f.index; },
      [](const NodeEvent& f, NodeEvent& t) { t.commit = f.commit; },
      [](const NodeEvent& f, NodeEvent& t) { t.hash = f.hash; },
      [](const NodeEvent& f, NodeEvent& t) { t.state_hash = f.state_hash; },
      [](const NodeEvent& f, NodeEvent& t) { t.source = f.source; },
      [](const NodeEvent& f, NodeEvent& t) { t.applied = f.applied; },
      [](const NodeEvent& f, NodeEvent& t) { t.seed = f.seed; },
      [](const NodeEvent& f, NodeEvent& t) { t.members = f.members; },
      [](const NodeEvent& f, NodeEvent& t) { t.name = f.name; },
      [](const NodeEvent& f, NodeEvent& t) { t.action = f.action; },
  };
  for (Copy copy : fields) {
    NodeEvent dropped = all;
    copy(NodeEvent{}, dropped);
    events.push_back(dropped);
    NodeEvent only;
    copy(all, only);
    events.push_back(only);
  }
  // The two events whose keys are there even when empty: role's leader (null), membership's
  // members ([]); and each with a value.
  for (const char* kind : {"role", "membership", "apply", ""}) {
    NodeEvent e;
    e.event = kind;
    events.push_back(e);
    e.leader = "n2";
    e.members = {"n2"};
    events.push_back(e);
  }
  // Strings that need escaping, and UTF-8 that does not.
  NodeEvent odd;
  odd.event = "quote\" back\\slash";
  odd.node = std::string("ctl\x01\x1f\x7f\b\f\n\r\t") + std::string(1, '\0') + "end";
  odd.name = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  odd.members = {"", "\"", "a\nb"};
  odd.leader = "/";
  events.push_back(odd);
  for (const NodeEvent& e : events) {
    std::string text;
    AppendNodeEventJson(e, &text);
    EXPECT_EQ(text, NodeEventJson(e).dump()) << "event " << e.event;
  }
  // Appends: what was in the string stays.
  std::string text = "x";
  AppendNodeEventJson(events[0], &text);
  EXPECT_EQ(text, "x" + NodeEventJson(events[0]).dump());
}

TEST(NodeEventsTest, ABadLineInTheMiddleIsAnErrorUnlessForgiving) {
  const fs::path path = TempPath("bad/events.jsonl");
  Write(path,
        "{\"t\":5,\"event\":\"start\"}\n"
        "garbage\n"
        "{\"t\":6,\"event\":\"role\",\"role\":\"follower\",\"term\":1}\n");
  int seen = 0;
  Status strict = ReadNodeEvents(path.string(), "x", {}, [&](const NodeEvent&) { ++seen; });
  EXPECT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("events.jsonl:2: not an event object"), std::string::npos)
      << strict;
  std::vector<std::string> warnings;
  seen = 0;
  Status forgiving = ReadNodeEvents(path.string(), "x", {.warnings = &warnings},
                                    [&](const NodeEvent&) { ++seen; });
  EXPECT_TRUE(forgiving.ok());
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(warnings.size(), 1u);
  fs::remove_all(TempPath("").parent_path());
}

}  // namespace
}  // namespace splitbrain::records

// SimHistory (part of harness_sim_test): the text it makes is the bytes records::HistoryWriter
// writes for the same events, and the History it builds is the one records::ParseJsonlHistory
// reads back from that text — field by field, strings needing escapes, structured values, an
// operation left open and a pairing error included.
#include "harness/sim/sim_history.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "harness/testing/run_files.h"
#include "records/history_jsonl.h"
#include "records/history_writer.h"

namespace splitbrain::harness::sim {
namespace {
using nlohmann::json;
using records::Outcome;

// Both writers, fed the same events at the same times.
struct Both {
  explicit Both(const std::string& path)
      : path(path), sim(path, [this] { return now; }), file(path, [this] { return now; }) {}
  void Invoke(int64_t p, const std::string& f, std::optional<std::string> key, const json& v) {
    now += 7;
    sim.Invoke(p, f, key, v);
    file.Invoke(p, f, key, v);
  }
  void Complete(int64_t p, const std::string& f, std::optional<std::string> key, Outcome o,
                const json& v, const std::string& node) {
    now += 7;
    sim.Complete(p, f, key, o, v, node);
    file.Complete(p, f, key, o, v, node);
  }
  std::string path;
  int64_t now = 1'000'000;
  SimHistory sim;
  records::HistoryWriter file;
};

std::string Describe(const records::History& h) {
  std::string out = "events " + std::to_string(h.events) + " strings " +
                    std::to_string(h.StringCount()) + " source " + h.source + "\n";
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const records::Operation& op = h.ops[i];
    out += h.OpJson(i).dump() + " node=" + h.Str(op.node) + " value=" + h.Str(op.value) +
           " completion=" + h.Str(op.completion_value) + " open=" + std::to_string(op.open) +
           " events=" + std::to_string(op.invoke_event) + "/" + std::to_string(op.complete_event) +
           "\n";
  }
  return out;
}

TEST(SimHistory, SameBytesAsHistoryWriterAndSameHistoryAsTheReader) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("sim-history-" + std::to_string(getpid()) + ".jsonl"))
                               .string();
  {
    Both b(path);
    b.Invoke(0, "write", "r1", 5);
    b.Invoke(1, "read", "r\"2\\é", nullptr);  // a key the fast path must leave to the library
    b.Complete(0, "write", "r1", Outcome::kOk, 5, "n1");
    b.Invoke(2, "cas", "r1", json::array({5, 6}));
    b.Complete(1, "read", "r\"2\\é", Outcome::kOk, json{{"b", 1.5}, {"a", "x\ny"}}, "n2");
    b.Complete(2, "cas", "r1", Outcome::kFail, json::array({5, 6}), "");
    b.Invoke(3, "tab\tname", std::nullopt, "text");
    b.Complete(3, "tab\tname", std::nullopt, Outcome::kUnknown, nullptr, "n\x7f");
    b.Invoke(5, "write", "r2", -42);
    b.Complete(5, "write", "r2", Outcome::kOk, uint64_t{18446744073709551615u}, "n3");
    b.Invoke(4, "read", "r1", nullptr);  // never completes: open
    b.file.Flush();
    EXPECT_EQ(b.sim.text(), testing::ReadFile(path));
    EXPECT_EQ(b.sim.counts().invokes, 6);
    EXPECT_EQ(b.sim.counts().info, 1);
    auto read = records::ParseJsonlHistory(b.sim.text(), path);
    ASSERT_TRUE(read.ok()) << read.status();
    auto built = b.sim.Finish();
    ASSERT_TRUE(built.ok()) << built.status();
    EXPECT_EQ(Describe(*built), Describe(*read));
  }
  {
    // A completion without its invocation: the same error as the reader's.
    Both b(path);
    b.Invoke(0, "read", "r1", nullptr);
    b.Complete(1, "read", "r1", Outcome::kOk, 3, "n1");
    auto read = records::ParseJsonlHistory(b.sim.text(), path);
    auto built = b.sim.Finish();
    ASSERT_FALSE(read.ok());
    ASSERT_FALSE(built.ok());
    EXPECT_EQ(built.status().ToString(), read.status().ToString());
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace splitbrain::harness::sim
